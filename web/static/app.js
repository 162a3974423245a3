// Reading room behaviour, loaded as a file (the Content-Security-Policy allows no inline
// script): copy buttons, the first match scrolled into view, arrow keys turn pages.
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

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showFirstMatch);
  } else {
    showFirstMatch();
  }
})();
