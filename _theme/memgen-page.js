// memgen-page.js: small reading aids on every page of the book (loaded deferred).
//
// An inline formula wider than the line it sits in (a long one on a phone) would run past the
// window and be cut off: MathJax 3 does not break lines. Once MathJax has typeset the page, such
// formulas get the class memgen-wide-math (memgen.css), so they scroll sideways in their own box;
// the others keep their place on the baseline. Checked again when the window is resized.
(function () {
  "use strict";

  function blockOf(el) {
    for (var p = el.parentElement; p; p = p.parentElement) {
      var d = getComputedStyle(p).display;
      if (d === "block" || d === "list-item" || d === "table-cell" || d === "flex") { return p; }
    }
    return document.body;
  }

  function mark() {
    document.querySelectorAll("article mjx-container:not([display='true'])").forEach(function (m) {
      m.classList.remove("memgen-wide-math");
      var box = blockOf(m).getBoundingClientRect();
      var r = m.getBoundingClientRect();
      if (r.width > box.width + 1 || r.right > box.right + 1) { m.classList.add("memgen-wide-math"); }
    });
  }

  function start() {
    var mj = window.MathJax;
    if (mj && mj.startup && mj.startup.promise) {
      mj.startup.promise.then(mark);
    } else if (document.querySelector("script[src*='mathjax']")) {
      setTimeout(start, 200); // MathJax (deferred too) has not started yet
      return;
    }
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(mark, 250);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
