// Two helps the pages work without: a "show password" button after each password field, so a
// person can check what they typed (on a phone above all), and error-summary links that focus
// their field. Loaded from this file under the pages' CSP (script-src 'self'). The button's words come from the script element, in the
// page's language.
(function () {
  "use strict";
  var words = document.currentScript.dataset;
  // An error summary's link puts the focus in its field, not only the field in view.
  document.querySelectorAll(".error-summary a").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var field = document.getElementById(link.hash.slice(1));
      if (field) {
        event.preventDefault();
        field.scrollIntoView({ block: "center" });
        field.focus();
      }
    });
  });
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
