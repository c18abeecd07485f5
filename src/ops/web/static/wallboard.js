// The wallboard refreshes itself: every few seconds it fetches the same page (rendered by the server, in the
// reader's language) and swaps the board in. A static file: the Content-Security-Policy runs no inline script.
(() => {
  "use strict";
  const board = document.getElementById("board");
  const offline = document.getElementById("board-offline");
  if (!board) return;
  const every = 1000 * (Number(board.dataset.refresh) || 5);
  const refresh = async () => {
    if (document.hidden) return;
    try {
      const answer = await fetch(window.location.href, { credentials: "same-origin", redirect: "error" });
      if (!answer.ok) throw new Error(String(answer.status));
      const fresh = new DOMParser().parseFromString(await answer.text(), "text/html").getElementById("board");
      if (!fresh) throw new Error("no board");
      board.innerHTML = fresh.innerHTML;
      if (offline) offline.hidden = true;
    } catch (_) {
      if (offline) offline.hidden = false;
    }
  };
  window.setInterval(refresh, every);
})();
