// Reading room behaviour, loaded as a file (the Content-Security-Policy allows no inline
// script): copy buttons, the first match scrolled into view, arrow keys turn pages, the
// redaction outlines toggle, the "collapse repeated pages" box applied when ticked.
(function () {
  "use strict";

  function textFor(id) {
    const element = document.getElementById(id);
    if (!element) return "";
    return element.tagName === "A" ? element.href : element.textContent.trim();
  }

  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return;
    }
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.appendChild(area);
    area.select();
    const copied = document.execCommand("copy");
    area.remove();
    if (!copied) throw new Error("the browser refused to copy");
  }

  function selectContents(id) {
    const element = document.getElementById(id);
    if (!element) return;
    const range = document.createRange();
    range.selectNodeContents(element);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  document.addEventListener("click", async function (event) {
    const button = event.target.closest("button[data-copy]");
    if (!button) return;
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    try {
      await copyText(textFor(button.dataset.copy));
      button.textContent = "Copied ✓";
      button.classList.add("done");
    } catch (error) {
      selectContents(button.dataset.copy);
      button.textContent = "Selected: press Ctrl+C";
    }
    window.setTimeout(function () {
      button.textContent = label;
      button.classList.remove("done");
    }, 2500);
  });

  function showFirstMatch() {
    const match = document.querySelector("#page-figure rect.match");
    if (!match) return;
    const box = match.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) {
      window.scrollBy({ top: box.top - window.innerHeight / 3, behavior: "instant" });
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    const link = event.key === "ArrowLeft" ? document.querySelector("a.prev-page")
      : event.key === "ArrowRight" ? document.querySelector("a.next-page") : null;
    if (link) window.location.assign(link.href);
  });

  // Redaction outlines: off until asked for; the choice is kept from page to page.
  const REDACTIONS_KEY = "reading-room.show-redactions";

  function remembered() {
    try {
      return window.localStorage.getItem(REDACTIONS_KEY) === "1";
    } catch (error) {
      return false;  // storage refused (private mode, policy): the box still works
    }
  }

  function remember(on) {
    try {
      window.localStorage.setItem(REDACTIONS_KEY, on ? "1" : "0");
    } catch (error) {
      // nothing to keep it in; the outlines still follow the box on this page
    }
  }

  function setupRedactionToggle() {
    const box = document.getElementById("show-redactions");
    if (!box) return;
    const figure = document.getElementById(box.dataset.figure);
    if (!figure) return;
    const apply = function () { figure.classList.toggle("show-redactions", box.checked); };
    box.checked = remembered();
    apply();
    box.addEventListener("change", function () {
      apply();
      remember(box.checked);
    });
    box.closest("[hidden]")?.removeAttribute("hidden");
  }

  function setupCollapseToggle() {
    for (const form of document.querySelectorAll("form.collapse-toggle")) {
      const button = form.querySelector("button.apply");
      if (button) button.hidden = true;
      for (const box of form.querySelectorAll("input[type=checkbox]")) {  // collapse, tolerant
        box.addEventListener("change", function () { form.requestSubmit(); });
      }
    }
  }

  function ready() {
    showFirstMatch();
    setupRedactionToggle();
    setupCollapseToggle();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
