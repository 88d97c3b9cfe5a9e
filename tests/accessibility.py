"""axe-core audits of pages in the browser journeys."""


class Audit:
    """Open pages in `page` and collect, per URL, the serious and critical violations
    axe-core finds (`problems`, empty when every page passes)."""

    def __init__(self, page):
        from axe_playwright_python.sync_playwright import Axe

        self.page, self.axe, self.problems = page, Axe(), {}

    def __call__(self, url):
        self.page.goto(url)
        results = self.axe.run(self.page)
        serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        if serious:
            self.problems[url] = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in serious]
