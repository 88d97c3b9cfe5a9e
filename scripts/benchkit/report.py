"""The targets and the table `make bench` prints (markdown, to paste into a note)."""

# key: (what is measured, what it is measured against, "min" or "max", target ratio)
ROWS = {
    "lesson_learner": ("lesson page, enrolled learner", "bare view", "min", 0.30),
    "course_learner": ("course page, enrolled learner", "bare view", "min", 0.30),
    "dashboard_learner": ("dashboard (Mon espace), learner", "bare view", "min", 0.30),
    "lesson_anonymous": ("lesson page, anonymous visitor", "bare view", "min", 0.50),
    "course_anonymous": ("course page, anonymous visitor", "bare view", "min", 0.50),
    # A learner's quiz page renders every question's form: the 10-question page is held
    # to the other learner pages' target; 50 questions are 5 times the markup to render.
    "quiz10": ("quiz attempt page, 10 questions", "bare view", "min", 0.30),
    "quiz50": ("quiz attempt page, 50 questions", "bare view", "min", 0.20),
    "grading_latency": ("quiz submitted → graded, seen on the result endpoint (median)",
                        "no-op task `.delay().get()`", "max", 2.0),
    "grading_service_latency": ("quiz submitted → graded, the service and the attempt row (median)",
                                "one-row task, sent and observed the same way", "max", 2.0),
    "grading_throughput": ("grading throughput, 1 worker × 2 processes", "one-row task, same worker", "min", 0.5),
    "recount": ("recount after a publish", "one bulk UPDATE, same rows", "max", 5.0),
    "manager_dashboard": ("manager dashboard, 40 steps", "raw SQL GROUP BY", "max", 3.0),
}

LATENCIES = ("grading_latency", "grading_service_latency")  # rows that also quote their p99

PAGES = ["bare", "lesson_learner", "course_learner", "dashboard_learner", "lesson_anonymous", "course_anonymous",
         "quiz10", "quiz50"]
PAGE_NAMES = {"bare": "bare Django view (ceiling)", **{key: ROWS[key][0] for key in PAGES if key in ROWS}}


def missed(row):
    _name, _ceiling, sense, target = ROWS[row["key"]]
    return row["ratio"] < target if sense == "min" else row["ratio"] > target


def amount(value, unit):
    if unit == "s":
        return f"{value * 1000:,.1f} ms" if value < 10 else f"{value:,.1f} s"
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:,.1f} {unit}"


def describe(row):
    name = ROWS[row["key"]][0]
    if row["key"] == "recount":
        name += f", {row['enrolments']:,} enrolments"
    if row["key"] == "manager_dashboard":
        name = name.replace("40 steps", f"{row['people']:,} × 40 steps")
    if row["key"] == "grading_throughput":
        name += f", burst of {row['burst']}"
    return name


def measured_cell(row):
    text = amount(row["measured"], row["unit"])
    if row["key"] in LATENCIES:
        text += f" (p99 {amount(row['p99'], 's')})"
    return text + spread(row.get("runs"), row["unit"])


def ceiling_cell(row):
    text = amount(row["ceiling"], row["unit"])
    if row["key"] in LATENCIES:
        text += f" (p99 {amount(row['ceiling_p99'], 's')})"
    return f"{text}{spread(row.get('ceiling_runs'), row['unit'])}, {ROWS[row['key']][1]}"


def spread(runs, unit):
    """" (runs 370–395)": the range of the runs a median was taken from, if more than one."""
    if not runs or len(runs) < 2:
        return ""
    low, high = (amount(value, unit).removesuffix(f" {unit}") for value in (min(runs), max(runs)))
    return f" (runs {low}–{high})"


def table(passes, enforce):
    """Markdown lines for `passes`: [(backend name, measures)]."""
    lines = ["| scenario | backend | measured | ceiling in the same run | ratio | target | |",
             "| --- | --- | --- | --- | ---: | --- | --- |"]
    for key, (_name, _ceiling, sense, target) in ROWS.items():
        for backend, measures in passes:
            if not any(r["key"] == key for r in measures["rows"]):
                lines.append(f"| {ROWS[key][0]} | {backend} | not measured (see the errors below) | | | | failed |")
            for row in (r for r in measures["rows"] if r["key"] == key):
                verdict = "over target" if missed(row) else "ok"
                if not enforce and verdict == "over target":
                    verdict = "over target (not enforced)"
                goal = f"{'≥' if sense == 'min' else '≤'} {target:.2f}×"
                lines.append(f"| {describe(row)} | {backend} | {measured_cell(row)} | {ceiling_cell(row)} | "
                             f"{row['ratio']:.3f}× | {goal} | {verdict} |")
    return lines


def queries_table(passes):
    lines = ["| page (warm request) | " + " | ".join(f"queries, {backend}" for backend, _ in passes) + " |",
             "| --- |" + " ---: |" * len(passes)]
    for key in PAGES:
        cells = [str(measures["queries"].get(key, "–")) for _backend, measures in passes]
        lines.append(f"| {PAGE_NAMES[key]} | " + " | ".join(cells) + " |")
    return lines


def memory_lines(passes):
    lines = []
    for backend, measures in passes:
        parts = [f"{what} {mib:.0f} MiB" for what, mib in measures["memory"].items() if mib]
        if parts:
            lines.append(f"- Peak RSS (VmHWM), {backend}: " + ", ".join(parts))
    return lines
