// The crisis room. Everything works without this script (forms post, a refresh link
// reloads the feed); with it, the feed asks the server what is released and adds the new
// items to the list (an aria-live region), counters follow, and when the situation moves
// on (a moment's delay, the end of the time) the page shows the new moment.
(function () {
    "use strict";

    var room = document.querySelector("[data-state-url]");
    if (room) {
        var feed = room.querySelector("[data-feed]");
        var clock = room.querySelector("[data-clock]");
        var timer = null;
        var text = function (tag, className, value) {
            var element = document.createElement(tag);
            if (className) { element.className = className; }
            element.textContent = value;
            return element;
        };
        var counters = function (element, item) {
            var reactions = element.querySelector("[data-reactions]");
            var shares = element.querySelector("[data-shares]");
            if (reactions) { reactions.textContent = item.reactions_label; }
            if (shares) { shares.textContent = item.shares_label; }
        };
        var add = function (item) {
            var li = document.createElement("li");
            li.className = "feed__item feed__item--" + item.kind;
            li.setAttribute("data-item-id", item.id);
            var meta = document.createElement("p");
            meta.className = "feed__meta";
            meta.appendChild(text("span", "feed__kind", item.kind_label));
            meta.appendChild(document.createTextNode(" · "));
            meta.appendChild(text("strong", "feed__author", item.author));
            meta.appendChild(document.createTextNode(" · "));
            meta.appendChild(text("span", "feed__at", item.at));
            li.appendChild(meta);
            li.appendChild(text("p", "feed__text", item.text));
            var numbers = document.createElement("p");
            numbers.className = "feed__counters";
            numbers.appendChild(text("span", "", item.reactions_label));
            numbers.lastChild.setAttribute("data-reactions", "");
            numbers.appendChild(document.createTextNode(" · "));
            numbers.appendChild(text("span", "", item.shares_label));
            numbers.lastChild.setAttribute("data-shares", "");
            li.appendChild(numbers);
            var empty = feed.querySelector("[data-feed-empty]");
            if (empty) { empty.remove(); }
            feed.appendChild(li);
        };
        var poll = function () {
            fetch(room.dataset.stateUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
                .then(function (response) { return response.json(); })
                .then(function (data) {
                    if (data.error) { return; }
                    if (data.ended || data.branch !== room.dataset.branch || String(data.sequence) !== room.dataset.sequence) {
                        var typing = document.activeElement && document.activeElement.tagName === "TEXTAREA" && document.activeElement.value;
                        if (!typing) { window.location.reload(); return; }
                    }
                    if (clock) { clock.textContent = data.clock; }
                    (data.items || []).forEach(function (item) {
                        var existing = feed.querySelector('[data-item-id="' + CSS.escape(item.id) + '"]');
                        if (existing) { counters(existing, item); } else { add(item); }
                    });
                    if (!data.paused) {
                        var wait = data.next_in === null ? 5 : Math.min(5, Math.max(0.5, data.next_in + 0.2));
                        timer = window.setTimeout(poll, wait * 1000);
                    }
                })
                .catch(function () { timer = window.setTimeout(poll, 5000); });
        };
        if (room.dataset.paused !== "1") { timer = window.setTimeout(poll, 1000); }
        var error = document.getElementById("action-error");
        if (error) { error.focus(); }
    }

    var scores = document.querySelector("[data-status-url]");
    if (scores) {
        var tries = 0;
        var check = function () {
            tries += 1;
            fetch(scores.dataset.statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
                .then(function (response) { return response.json(); })
                .then(function (data) {
                    if (data.status !== "scored") {
                        if (tries < 120) { window.setTimeout(check, tries < 10 ? 500 : 2000); }
                        return;
                    }
                    return fetch(scores.dataset.fragmentUrl, { credentials: "same-origin" })
                        .then(function (response) { return response.text(); })
                        .then(function (html) {
                            scores.innerHTML = html;
                            var heading = scores.querySelector("h2");
                            if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
                        });
                })
                .catch(function () { window.setTimeout(check, 2000); });
        };
        check();
    }
}());
