// Helps the pages work without: a "show password" button after each password field, so a
// person can check what they typed (on a phone above all); error-summary links that focus
// their field; a language switch that keeps what was typed in a form. Loaded from this file
// under the pages' CSP (script-src 'self'). The button's words come from the script element,
// in the page's language.
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
  // On a page whose form can be drawn again (it has the new-picture button), the language link
  // posts the form back in the other language instead of leaving it: what was typed stays,
  // except passwords. Without the script the link opens the empty form in that language.
  var redraw = document.querySelector("form button[name=refresh]");
  document.querySelectorAll(".lang a[lang]").forEach(function (link) {
    if (!redraw) return;
    link.addEventListener("click", function (event) {
      var form = redraw.form;
      event.preventDefault();
      form.querySelectorAll("input[type=password]").forEach(function (field) {
        field.value = "";
      });
      form.elements.ui_locales.value = link.lang;
      // In the address too, so the choice is remembered for the next pages, as the link does.
      form.action = form.action.split("?")[0] + "?ui_locales=" + link.lang;
      var why = document.createElement("input");
      why.type = "hidden";
      why.name = "refresh";
      why.value = "language";
      form.appendChild(why);
      form.submit();
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
