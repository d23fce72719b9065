// Passkeys for the wallet (web/passkeys.py): make one from a one-time link, or sign in
// with one. The server gives the WebAuthn options (base64url strings, as py_webauthn
// writes them); this file turns them into the bytes the browser wants, asks the browser,
// and sends its answer back as JSON in the form's hidden "credential" field, so the
// server answers as to any form (a redirect to the wallet, or a page saying why not).
(function () {
  'use strict';

  function fromBase64url(text) {
    const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '==='.slice((base64.length + 3) % 4);
    const binary = atob(padded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = '';
    for (let i = 0; i < bytes.length; i += 1) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function descriptors(list) {
    return (list || []).map((item) => Object.assign({}, item, {id: fromBase64url(item.id)}));
  }

  function creationOptions(json) {
    return Object.assign({}, json, {
      challenge: fromBase64url(json.challenge),
      user: Object.assign({}, json.user, {id: fromBase64url(json.user.id)}),
      excludeCredentials: descriptors(json.excludeCredentials),
    });
  }

  function requestOptions(json) {
    return Object.assign({}, json, {
      challenge: fromBase64url(json.challenge),
      allowCredentials: descriptors(json.allowCredentials),
    });
  }

  function answer(credential) {
    const response = credential.response;
    const shown = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      response: {clientDataJSON: toBase64url(response.clientDataJSON)},
    };
    if (response.attestationObject) {
      shown.response.attestationObject = toBase64url(response.attestationObject);
      if (response.getTransports) shown.response.transports = response.getTransports();
    } else {
      shown.response.authenticatorData = toBase64url(response.authenticatorData);
      shown.response.signature = toBase64url(response.signature);
      if (response.userHandle) shown.response.userHandle = toBase64url(response.userHandle);
    }
    return JSON.stringify(shown);
  }

  function say(status, which) {
    if (!status) return;
    status.textContent = status.dataset[which];
    status.hidden = false;
  }

  async function ceremony(form, status) {
    const registering = form.dataset.purpose === 'register';
    const body = registering ? {link: form.elements.link.value} : {};
    const asked = await fetch('/wallet/passkey/options', {
      method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body),
    });
    if (!asked.ok) {
      // A link used or expired meanwhile: the link's page says which.
      if (registering) { window.location.reload(); return; }
      say(status, 'failed');
      return;
    }
    const options = await asked.json();
    const credential = registering
      ? await navigator.credentials.create({publicKey: creationOptions(options)})
      : await navigator.credentials.get({publicKey: requestOptions(options)});
    if (!credential) { say(status, 'failed'); return; }
    form.elements.credential.value = answer(credential);
    form.submit();
  }

  for (const form of document.querySelectorAll('form[data-purpose]')) {
    const status = document.getElementById('passkey-status');
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!window.PublicKeyCredential || !navigator.credentials) {
        say(status, 'unsupported');
        return;
      }
      if (status) status.hidden = true;
      ceremony(form, status).catch(() => say(status, 'failed'));
    });
  }
}());
