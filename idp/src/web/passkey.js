// Passkeys (WebAuthn) need the browser's API, so this script does what a form cannot: a form
// marked data-passkey="create" or "get" carries the server's options (data-options, JSON);
// its button asks the browser for a new passkey or for one of the site's, puts the answer
// (JSON) in the form's "credential" field, and sends the form. The server keeps the
// ceremony's state: nothing here is trusted. Without this script, or without WebAuthn, the
// passkey forms stay hidden and every other way in works as before.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(base64 + "===".slice((base64.length + 3) % 4));
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    if (!buffer) return undefined;
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (c) {
      return Object.assign({}, c, { id: toBytes(c.id) });
    });
  }

  // The options as the browser takes them (where it cannot parse JSON options itself).
  function creationOptions(o) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) {
      return PublicKeyCredential.parseCreationOptionsFromJSON(o);
    }
    return Object.assign({}, o, {
      challenge: toBytes(o.challenge),
      user: Object.assign({}, o.user, { id: toBytes(o.user.id) }),
      excludeCredentials: withIds(o.excludeCredentials),
    });
  }

  function requestOptions(o) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) {
      return PublicKeyCredential.parseRequestOptionsFromJSON(o);
    }
    return Object.assign({}, o, {
      challenge: toBytes(o.challenge),
      allowCredentials: withIds(o.allowCredentials),
    });
  }

  // The answer as JSON (WebAuthn Level 3's toJSON, or the same by hand).
  function answer(credential) {
    if (credential.toJSON) return credential.toJSON();
    var r = credential.response;
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: {
        clientDataJSON: toText(r.clientDataJSON),
        attestationObject: toText(r.attestationObject),
        transports: r.getTransports ? r.getTransports() : undefined,
        authenticatorData: toText(r.authenticatorData),
        signature: toText(r.signature),
        userHandle: toText(r.userHandle),
      },
    };
  }

  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    var status = form.querySelector(".passkey-status");
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      if (form.elements.credential.value) return;
      event.preventDefault();
      var options = JSON.parse(form.dataset.options);
      var asked =
        form.dataset.passkey === "create"
          ? navigator.credentials.create({ publicKey: creationOptions(options) })
          : navigator.credentials.get({ publicKey: requestOptions(options) });
      if (status) status.textContent = "";
      asked
        .then(function (credential) {
          form.elements.credential.value = JSON.stringify(answer(credential));
          form.submit();
        })
        .catch(function () {
          // Cancelled, timed out, or no passkey for this site: the person may try again or
          // choose another way; the page says so where they look.
          if (status) status.textContent = form.dataset.failed;
        });
    });
  });
})();
