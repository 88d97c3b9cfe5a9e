// Follows the exports being prepared on the manager's exports page: asks their status
// URL every two seconds, moves the <progress> bar and offers the download link when the
// file is ready. Without script the page keeps its "refresh" link.
(function () {
    "use strict";
    var EVERY_MS = 2000;
    document.querySelectorAll("[data-export-status]").forEach(function (item) {
        var bar = item.querySelector("progress");
        var text = item.querySelector("[data-export-text]");
        var link = item.querySelector("[data-export-link]");
        function poll() {
            fetch(item.dataset.exportStatus, { headers: { Accept: "application/json" }, credentials: "same-origin" })
                .then(function (response) { return response.ok ? response.json() : null; })
                .then(function (state) {
                    if (!state) { return; }
                    bar.value = state.progress;
                    bar.textContent = state.progress + " %";
                    text.textContent = state.status_label + " — " + state.progress + " %";
                    if (state.download_url) {
                        var anchor = document.createElement("a");
                        anchor.className = "button button--small";
                        anchor.href = state.download_url;
                        anchor.textContent = item.dataset.downloadLabel || link.dataset.downloadLabel;
                        link.replaceChildren(anchor);
                        return;
                    }
                    if (state.status === "pending" || state.status === "running") {
                        window.setTimeout(poll, EVERY_MS);
                    } else {
                        link.textContent = link.dataset.failedLabel;
                    }
                })
                .catch(function () { window.setTimeout(poll, EVERY_MS * 2); });
        }
        window.setTimeout(poll, EVERY_MS);
    });
}());
