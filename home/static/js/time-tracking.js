// Measures the time a learner actively spends on a lesson and reports it every minute
// and when the page is hidden. Time counts only while the page is visible and the
// learner moved, scrolled or typed in the last two minutes: a tab left open overnight
// adds nothing. The server bounds every report again.
(function () {
    "use strict";
    var marker = document.querySelector("[data-time-tracking]");
    if (!marker || !navigator.sendBeacon) { return; }
    var IDLE_AFTER_MS = 120000, TICK_MS = 5000, REPORT_EVERY_MS = 60000;
    var lastActivity = Date.now(), unsent = 0, lastReport = Date.now();

    function active() {
        return document.visibilityState === "visible" && Date.now() - lastActivity < IDLE_AFTER_MS;
    }
    function report() {
        var seconds = Math.round(unsent / 1000);
        if (seconds < 1) { return; }
        var body = new FormData();
        body.append("seconds", String(seconds));
        body.append("csrfmiddlewaretoken", marker.dataset.csrf);
        if (navigator.sendBeacon(marker.dataset.url, body)) { unsent = 0; }
        lastReport = Date.now();
    }
    ["mousemove", "keydown", "scroll", "touchstart", "click"].forEach(function (name) {
        window.addEventListener(name, function () { lastActivity = Date.now(); }, { passive: true });
    });
    window.setInterval(function () {
        if (active()) { unsent += TICK_MS; }
        if (Date.now() - lastReport >= REPORT_EVERY_MS) { report(); }
    }, TICK_MS);
    document.addEventListener("visibilitychange", function () {
        if (document.visibilityState === "hidden") { report(); } else { lastActivity = Date.now(); }
    });
    window.addEventListener("pagehide", report);
}());
