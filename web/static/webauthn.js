// The hosted pages' WebAuthn ceremonies. A form marked data-webauthn
// ("get" or "create") asks the server for the options of its ceremony
// (data-ceremony), passes them to the browser's authenticator, and posts
// the credential back in its "response" field. A form that is also
// data-conditional starts a conditional request at load, so that the
// browser offers passkeys in the username field's autofill.
"use strict";
(() => {
	if (!window.PublicKeyCredential) {
		for (const form of document.querySelectorAll("form[data-webauthn]")) {
			showError(form, "This browser does not support passkeys.");
			form.querySelector("button").disabled = true;
		}
		return;
	}

	function showError(form, message) {
		const p = form.querySelector("[data-webauthn-error]");
		if (p) {
			p.textContent = message;
			p.hidden = false;
		}
	}

	// The pending conditional request, if any: {controller, done}.
	let conditional = null;

	async function ceremony(form, mediation, signal) {
		const body = new URLSearchParams(new FormData(form));
		body.set("ceremony", form.dataset.ceremony);
		body.delete("response");
		const res = await fetch("/webauthn/options", {method: "POST", body, credentials: "same-origin", signal});
		if (!res.ok) {
			throw new Error("options: " + res.status);
		}
		const options = await res.json();
		let credential;
		if (form.dataset.webauthn === "create") {
			credential = await navigator.credentials.create({
				publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey),
			});
		} else {
			const request = {publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey)};
			if (mediation) {
				request.mediation = mediation;
				request.signal = signal;
			}
			credential = await navigator.credentials.get(request);
		}
		form.elements.challenge.value = options.challenge;
		form.elements.response.value = JSON.stringify(credential.toJSON());
		form.submit();
	}

	// stopConditional aborts the pending conditional request and resolves
	// once it has ended: browsers refuse a second request while one waits.
	function stopConditional() {
		const pending = conditional;
		conditional = null;
		if (!pending) {
			return Promise.resolve();
		}
		pending.controller.abort();
		return pending.done.catch(() => {});
	}

	for (const form of document.querySelectorAll("form[data-webauthn]")) {
		form.addEventListener("submit", (event) => {
			event.preventDefault();
			stopConditional().then(() => ceremony(form)).catch((err) => {
				console.error(err);
				showError(form, err.name === "NotAllowedError"
					? "The passkey request was cancelled or timed out. Try again."
					: "Something went wrong with the passkey. Try again.");
			});
		});
	}

	const auto = document.querySelector("form[data-webauthn][data-conditional]");
	if (auto && PublicKeyCredential.isConditionalMediationAvailable) {
		PublicKeyCredential.isConditionalMediationAvailable().then((ok) => {
			if (!ok || conditional) {
				return;
			}
			const controller = new AbortController();
			const done = ceremony(auto, "conditional", controller.signal);
			conditional = {controller, done};
			done.catch((err) => {
				if (err.name !== "AbortError") {
					console.error(err);
				}
			});
		});
	}
})();
