// 常用意见: choosing a saved phrase inserts it into the decision's comment at the cursor.
// Without this script the server uses the chosen phrase when no comment was typed.
(function () {
  if (window.webuiPhrases) return;
  window.webuiPhrases = true;
  document.addEventListener("change", function (event) {
    var select = event.target.closest && event.target.closest("select[data-phrase-target]");
    if (!select || !select.value) return;
    var area = document.getElementById(select.dataset.phraseTarget);
    if (!area) return;
    var text = select.options[select.selectedIndex].text;
    var start = area.selectionStart, end = area.selectionEnd;
    if (start == null || document.activeElement !== area && start === 0 && end === 0) {
      start = end = area.value.length;
    }
    var before = area.value.slice(0, start);
    var glue = before && !/\s$/.test(before) ? "；" : "";
    area.setRangeText(glue + text, start, end, "end");
    area.focus();
    select.value = "";  // inserted: the server must not add it again
  });
})();
