// Quiz pages. Everything works without this script (forms post, the result page has a
// refresh link); with it: answers are autosaved, the time left is shown, and the result
// replaces "correction en cours" by itself as soon as it is ready.
(function () {
    "use strict";

    var form = document.querySelector("form[data-autosave-url]");
    if (form) {
        var status = form.querySelector(".quiz-form__status");
        var timer = null;
        var save = function () {
            var body = new FormData(form);
            body.delete("action");
            fetch(form.dataset.autosaveUrl, { method: "POST", body: body, credentials: "same-origin",
                headers: { "Accept": "application/json" } })
                .then(function (response) {
                    if (response.ok) {
                        status.textContent = status.dataset.saved || "Brouillon enregistré.";
                    }
                })
                .catch(function () { /* the next change tries again */ });
        };
        form.addEventListener("change", function () { window.clearTimeout(timer); timer = window.setTimeout(save, 800); });
        form.addEventListener("input", function () { window.clearTimeout(timer); timer = window.setTimeout(save, 2000); });
        var summary = document.getElementById("error-summary");
        if (summary) { summary.focus(); }
    }

    var deadline = document.querySelector("[data-deadline]");
    if (deadline) {
        var left = deadline.querySelector(".quiz-deadline__left");
        var end = new Date(deadline.dataset.deadline).getTime();
        var tick = function () {
            var seconds = Math.max(0, Math.round((end - Date.now()) / 1000));
            left.textContent = "(" + Math.floor(seconds / 60) + " min " + String(seconds % 60).padStart(2, "0") + " s)";
            if (seconds === 0 && form) { form.querySelector("button[value=submit]").click(); }
        };
        tick();
        window.setInterval(tick, 1000);
    }

    // Essays with a word limit: the count under the text, updated as the learner types
    // (read with the field, not announced at each key); crossing the limit is announced once.
    Array.prototype.forEach.call(document.querySelectorAll("textarea[data-word-limit]"), function (field) {
        var counter = document.getElementById(field.dataset.wordCount);
        if (!counter) { return; }
        var limit = parseInt(field.dataset.wordLimit, 10);
        var words = counter.querySelector(".essay__words");
        var over = counter.querySelector(".essay__over");
        var update = function () {
            var count = field.value.trim() ? field.value.trim().split(/\s+/).length : 0;
            var tooLong = count > limit;
            words.textContent = counter.dataset.text.replace("COUNT", count);
            if (tooLong !== counter.classList.contains("essay__count--over")) {
                counter.classList.toggle("essay__count--over", tooLong);
                over.textContent = tooLong ? counter.dataset.over : "";
            }
        };
        counter.hidden = false;
        update();
        field.addEventListener("input", update);
    });

    var result = document.querySelector("[data-status-url]");
    if (result) {
        var tries = 0;
        var poll = function () {
            tries += 1;
            fetch(result.dataset.statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
                .then(function (response) { return response.json(); })
                .then(function (data) {
                    if (data.status === "submitted") {
                        if (tries < 120) { window.setTimeout(poll, tries < 10 ? 500 : 2000); }
                        return;
                    }
                    return fetch(result.dataset.fragmentUrl, { credentials: "same-origin" })
                        .then(function (response) { return response.text(); })
                        .then(function (html) {
                            result.innerHTML = html;
                            var heading = result.querySelector("h2");
                            if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
                        });
                })
                .catch(function () { window.setTimeout(poll, 3000); });
        };
        window.setTimeout(poll, 400);
    }
}());
