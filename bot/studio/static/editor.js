/* Relais Studio, the text editor: checks the text on each pause in typing (the same checker as
   publishing, on the server), lists the diagnostics with their line, marks the lines in the
   gutter, moves the cursor to a line, and shows the JSON Schema's help for the key under the
   cursor. No inline script (CSP: script-src 'self'); nothing here is needed to use the page:
   without it, "Check" does the same with a page load. */
(function () {
  "use strict";
  var form = document.getElementById("editor-form");
  if (!form) { return; }
  var area = document.getElementById("source");
  var gutter = document.getElementById("gutter");
  var list = document.getElementById("diagnostics");
  var summary = document.getElementById("summary");
  var help = document.getElementById("key-help");
  var csrf = form.querySelector("input[name=csrf]").value;
  var timer = null;
  var sent = 0;
  var helpMap = null;
  var marks = {};
  var titles = {};

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function lineCount() { return area.value.split("\n").length; }

  function drawGutter() {
    var wanted = lineCount();
    while (gutter.children.length < wanted) {
      var item = document.createElement("li");
      item.setAttribute("data-line", String(gutter.children.length + 1));
      item.textContent = String(gutter.children.length + 1);
      gutter.appendChild(item);
    }
    while (gutter.children.length > wanted) { gutter.removeChild(gutter.lastChild); }
    for (var i = 0; i < gutter.children.length; i++) {
      var severity = marks[i + 1];
      gutter.children[i].className = severity ? "mark-" + severity : "";
      if (titles[i + 1]) {
        gutter.children[i].title = titles[i + 1];
      } else {
        gutter.children[i].removeAttribute("title");
      }
    }
    gutter.scrollTop = area.scrollTop;
  }

  function goToLine(line) {
    var lines = area.value.split("\n");
    var offset = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) { offset += lines[i].length + 1; }
    area.focus();
    area.setSelectionRange(offset, offset + (lines[line - 1] || "").length);
    var height = area.scrollHeight / Math.max(lines.length, 1);
    area.scrollTop = Math.max(0, (line - 5) * height);
    gutter.scrollTop = area.scrollTop;
    showHelp();
  }

  function paragraph(className, text) {
    var p = document.createElement("p");
    p.className = className;
    p.textContent = text;
    return p;
  }

  function showDiagnostics(found) {
    marks = {};
    titles = {};
    list.textContent = "";
    found.diagnostics.forEach(function (d) {
      if (d.line && marks[d.line] !== "error") { marks[d.line] = d.severity; }
      if (d.line) {
        titles[d.line] = (titles[d.line] ? titles[d.line] + " · " : "") + d.code + " " + d.message;
      }
      var item = document.createElement("li");
      item.className = "diagnostic " + d.severity;
      item.setAttribute("data-line", String(d.line));
      var where = paragraph("where", d.line
        ? fill(list.getAttribute("data-line-label"), { line: d.line, column: d.column })
        : list.getAttribute("data-file-label"));
      var badge = document.createElement("span");
      badge.className = "badge " + d.severity;
      badge.textContent = " " + list.getAttribute("data-severity-" + d.severity) + " " + d.code;
      where.appendChild(document.createTextNode(" "));
      where.appendChild(badge);
      item.appendChild(where);
      if (d.title) { item.appendChild(paragraph("title", d.title)); }
      var message = paragraph("message", d.message + (d.hint ? " (" + d.hint + ")" : ""));
      message.lang = "en";  // the checker's own words, in English whatever the page's language
      item.appendChild(message);
      if (d.fix) { item.appendChild(paragraph("fix", list.getAttribute("data-fix-label") + " " + d.fix)); }
      if (d.line) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "quiet go-to-line";
        button.setAttribute("data-line", String(d.line));
        button.textContent = fill(list.getAttribute("data-go-label"), { line: d.line });
        item.appendChild(button);
      }
      list.appendChild(item);
    });
    summary.textContent = found.summary;
    drawGutter();
  }

  function check() {
    var number = ++sent;
    var body = new FormData();
    body.append("csrf", csrf);
    body.append("text", area.value);
    fetch(form.getAttribute("data-check-url"), {
      method: "POST", body: body, credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (found) {
      if (number === sent) { showDiagnostics(found); }
    }).catch(function () { /* the Check button still works */ });
  }

  function keyUnderCursor() {
    var before = area.value.slice(0, area.selectionStart);
    var start = before.lastIndexOf("\n") + 1;
    var end = area.value.indexOf("\n", start);
    var line = area.value.slice(start, end === -1 ? undefined : end);
    var match = /^\s*(?:-\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*:/.exec(line);
    return match ? match[1] : "";
  }

  function showHelp() {
    if (!helpMap) { return; }
    var key = keyUnderCursor();
    var said = key && helpMap[key] ? key + ": " + helpMap[key] : help.getAttribute("data-empty");
    if (help.textContent !== said) { help.textContent = said; }
  }

  list.addEventListener("click", function (event) {
    var target = event.target;
    if (target && target.classList && target.classList.contains("go-to-line")) {
      goToLine(parseInt(target.getAttribute("data-line"), 10));
    }
  });
  Array.prototype.forEach.call(list.querySelectorAll(".go-to-line"), function (button) {
    button.hidden = false;
  });
  area.addEventListener("input", function () {
    drawGutter();
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  });
  area.addEventListener("scroll", function () { gutter.scrollTop = area.scrollTop; });
  ["keyup", "click", "focus"].forEach(function (name) { area.addEventListener(name, showHelp); });
  Array.prototype.forEach.call(gutter.children, function (item) {
    var mark = item.className.replace("mark-", "");
    var line = parseInt(item.getAttribute("data-line"), 10);
    if (mark) { marks[line] = mark; }
    if (item.title) { titles[line] = item.title; }
  });
  fetch(form.getAttribute("data-help-url"), { credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.json() : {}; })
    .then(function (found) { helpMap = found; showHelp(); })
    .catch(function () { helpMap = {}; });
})();
