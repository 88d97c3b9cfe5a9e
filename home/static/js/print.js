// "Imprimer" buttons (data-print): open the browser's print dialog. The button is
// hidden in the HTML and shown here, so that nobody sees a button that cannot work.
(function () {
    "use strict";
    document.querySelectorAll("[data-print]").forEach(function (button) {
        button.hidden = false;
        button.addEventListener("click", function () { window.print(); });
    });
})();
