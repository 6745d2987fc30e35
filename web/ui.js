// PolicyQA page behaviour that Gradio has no setting for. Loaded inline in <head> (offline: no external file).
// - Source chips under an answer open their clause in the side panel; Esc closes an open panel or drawer.
// - Ctrl+Enter (⌘+Enter) analyses the hotline message (plain Enter keeps adding lines there).
// - A new question is scrolled to the top of the chat, so its answer streams below it with its start in view
//   (the Chatbot's own autoscroll, which follows the bottom, is off).
(function () {
  var lastChip = null;

  function panel() { return document.querySelector("#citations .pq-panel"); }

  function openSource(id, chip) {
    var p = panel();
    var target = p && document.getElementById(id);
    if (!target || !p.contains(target)) { return; }
    p.querySelectorAll(".pq-source").forEach(function (s) { s.hidden = s !== target; });
    p.querySelector(".pq-hint").hidden = true;
    p.classList.add("pq-open");
    document.querySelectorAll(".pq-chip[aria-current]").forEach(function (c) { c.removeAttribute("aria-current"); });
    if (chip) { chip.setAttribute("aria-current", "true"); }
    lastChip = chip;
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "nearest" }); // on a phone the panel sits below the chat
  }

  function closeSource() {
    var p = panel();
    if (!p || !p.classList.contains("pq-open")) { return false; }
    p.querySelectorAll(".pq-source").forEach(function (s) { s.hidden = true; });
    p.querySelector(".pq-hint").hidden = false;
    p.classList.remove("pq-open");
    if (lastChip && lastChip.isConnected) { lastChip.focus(); }
    return true;
  }

  function closeDrawer() {
    var close = document.querySelector(".pq-drawer:not(.hidden) .pq-drawer-close");
    if (!close || !close.offsetParent) { return false; }
    close.click();
    var table = document.querySelector("#library-table");
    if (table) { table.focus(); }
    return true;
  }

  document.addEventListener("click", function (e) {
    var chip = e.target.closest && e.target.closest("a.pq-chip");
    if (chip) {
      e.preventDefault();
      openSource(chip.getAttribute("href").slice(1), chip);
      return;
    }
    if (e.target.closest && e.target.closest(".pq-panel .pq-close")) { closeSource(); }
  }, true);

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") {
      if (closeSource() || closeDrawer()) { e.preventDefault(); }
      return;
    }
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter" && e.target.closest && e.target.closest("#hotline-input")) {
      e.preventDefault();
      var button = document.querySelector("#hotline-submit");
      if (button) { button.click(); }
    }
  });

  var questionsShown = 0;
  function pinNewestQuestion() {
    var log = document.querySelector("#chatbot [role=log]");
    if (!log) { return; }
    var rows = log.querySelectorAll(".user-row");
    if (rows.length > questionsShown) {
      var row = rows[rows.length - 1];
      log.scrollTop += row.getBoundingClientRect().top - log.getBoundingClientRect().top - 4;
    }
    questionsShown = rows.length;
  }

  // The question box has the focus on arrival. Gradio's autofocus fires when the box mounts, but on a busy
  // machine a later render can leave the focus on <body>; until the user first presses a key or the pointer,
  // an unfocused page hands it back to the box.
  var userMoved = false;
  ["keydown", "pointerdown"].forEach(function (type) {
    document.addEventListener(type, function () { userMoved = true; }, true);
  });
  function focusQuestionOnArrival() {
    var box = document.querySelector("#chat-input textarea");
    if (userMoved || !box) { return; }
    if (!document.activeElement || document.activeElement === document.body) { box.focus({ preventScroll: true }); }
  }

  new MutationObserver(function () {
    pinNewestQuestion();
    focusQuestionOnArrival();
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
