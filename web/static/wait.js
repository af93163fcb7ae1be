// A form with data-wait="URL" waits for something done elsewhere (a magic
// link opened, a push approved): the script asks URL every two seconds,
// and posts the form once it answers {"ready": true}. Without the script,
// the form's own button does the same.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-wait]")) {
    const url = form.dataset.wait;
    let tries = 0;
    const ask = async () => {
      if (++tries > 600) return; // 20 minutes: longer than any link lives
      try {
        const resp = await fetch(url, { credentials: "same-origin", cache: "no-store" });
        if (resp.ok && (await resp.json()).ready) {
          form.submit();
          return;
        }
      } catch (e) {
        // offline for a moment: ask again
      }
      setTimeout(ask, 2000);
    };
    setTimeout(ask, 2000);
  }
});
