"""wrk, the load generator: installed from the OS packages if missing, run with a
script that counts every answer other than 200 (wrk itself counts only 4xx and 5xx:
a 302 to the login page would pass for a served page)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

from benchkit.processes import BenchError

SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) not_ok = 0; sample = "" end
function response(status, headers, body)
  if status ~= 200 then
    if not_ok == 0 then sample = status .. " " .. (headers["Location"] or headers["location"] or "") end
    not_ok = not_ok + 1
  end
end
function done(summary, latency, requests)
  local total, example = 0, ""
  for _, thread in ipairs(threads) do
    total = total + thread:get("not_ok")
    local seen = thread:get("sample")
    if seen ~= nil and seen ~= "" then example = seen end
  end
  io.write(string.format("bench-not-200: %d %s\\n", total, example))
  io.write(string.format("bench-latency-us: %d %d\\n", latency:percentile(50), latency:percentile(99)))
end
"""


def ensure_wrk():
    """The path of wrk; installs Debian's package when missing and we are root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing wrk from the OS packages (apt-get install -y wrk)…", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=300)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env, timeout=300,
                       stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
        if found:
            return found
    raise SystemExit(
        "make bench needs wrk, the HTTP load generator, and could not install it (not root, or no apt-get).\n"
        "Install it from your OS packages, e.g. `sudo apt-get install wrk` (Debian, Ubuntu) or `brew install wrk`,\n"
        "then run make bench again."
    )


def run(wrk, url, *, seconds, connections, cookie=None, workdir):
    """One wrk run: requests per second, latency p50/p99 (ms) and the requests answered
    with anything but 200. Raises BenchError on non-2xx/3xx or socket errors."""
    script = Path(workdir) / "count-not-200.lua"
    if not script.exists():
        script.write_text(SCRIPT)
    command = [wrk, f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
               "-s", str(script), url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30)
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"wrk did not finish in {seconds + 30} s on {url}") from error
    out = done.stdout
    if done.returncode:
        raise BenchError(f"wrk failed on {url}:\n{out}\n{done.stderr}")
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    not_ok = re.search(r"bench-not-200: (\d+) ?(.*)", out)
    latency = re.search(r"bench-latency-us: (\d+) (\d+)", out)
    if not (rate and total and not_ok and latency):
        raise BenchError(f"could not read wrk's output on {url}:\n{out}")
    errors = []
    http_errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if http_errors:
        errors.append(f"{http_errors.group(1)} non-2xx or 3xx responses")
    if int(not_ok.group(1)):
        errors.append(f"{not_ok.group(1)} answers other than 200 (first: {not_ok.group(2).strip()})")
    sockets = re.search(r"Socket errors: (.*)", out)
    if sockets:
        errors.append(f"socket errors: {sockets.group(1)}")
    if int(total.group(1)) == 0:
        errors.append("no request answered")
    if errors:
        raise BenchError(f"{url}: " + "; ".join(errors) + f"\n{out}")
    return {
        "rps": float(rate.group(1)),
        "requests": int(total.group(1)),
        "p50_ms": int(latency.group(1)) / 1000,
        "p99_ms": int(latency.group(2)) / 1000,
    }
