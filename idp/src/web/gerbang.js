// A "show password" button after each password field, so a person can check what they typed
// (on a phone above all). Loaded from this file under the pages' CSP (script-src 'self'); the
// fields work the same without it. The button's words come from the script element, in the
// page's language.
(function () {
  "use strict";
  var words = document.currentScript.dataset;
  document.querySelectorAll("input[type=password]").forEach(function (field) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link reveal";
    button.textContent = words.show;
    button.setAttribute("aria-controls", field.id);
    button.addEventListener("click", function () {
      var hidden = field.type === "password";
      field.type = hidden ? "text" : "password";
      button.textContent = hidden ? words.hide : words.show;
      field.focus();
    });
    field.insertAdjacentElement("afterend", button);
    // Sent as a password field, so that password managers treat it as one.
    if (field.form) {
      field.form.addEventListener("submit", function () {
        field.type = "password";
      });
    }
  });
})();
