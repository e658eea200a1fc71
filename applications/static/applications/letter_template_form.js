// The letter-template form: choosing another kind or outcome group puts that letter's
// wording in force into the title and body, unless the person has already edited them.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var data = document.getElementById("letter-defaults");
  var kind = document.getElementById("id_kind");
  var group = document.getElementById("id_outcome_group");
  var title = document.getElementById("id_title");
  var body = document.getElementById("id_body");
  if (!data || !kind || !group || !title || !body) {
    return;
  }
  var defaults = JSON.parse(data.textContent);
  var wordings = Object.keys(defaults).map(function (key) { return defaults[key]; });

  function untouched(field, part) {
    var value = field.value.replace(/\r\n/g, "\n").trim();
    return value === "" || wordings.some(function (w) { return w[part].trim() === value; });
  }

  function update() {
    if (kind.value !== "reply") {
      group.value = "";
    } else if (!group.value) {
      group.value = "disclosed";
    }
    var wording = defaults[kind.value + "|" + (kind.value === "reply" ? group.value : "")];
    if (!wording) {
      return;
    }
    if (untouched(title, "title")) {
      title.value = wording.title;
    }
    if (untouched(body, "body")) {
      body.value = wording.body;
    }
  }

  kind.addEventListener("change", update);
  group.addEventListener("change", update);
});
