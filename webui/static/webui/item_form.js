// The item form shows the fields table 二 counts only under the Art. 20 item they belong to
// (documents under (1), decisions under (5) and (6), fees under (8)). Fields of other items
// are hidden and disabled, so what is saved is what the drafter sees. Without this script
// every group stays visible and the server says which fields do not fit the chosen item.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-item-form]").forEach(function (form) {
    var radios = form.querySelectorAll("input[name=article20_item]");
    var groups = form.querySelectorAll("fieldset[data-items]");
    var decisionType = form.querySelector("select[name=decision_type]");

    function chosen() {
      var checked = form.querySelector("input[name=article20_item]:checked");
      return checked ? checked.value : "";
    }

    function update() {
      var item = chosen();
      groups.forEach(function (group) {
        var applies = group.dataset.items.split(" ").indexOf(item) >= 0;
        var shown = applies || group.hasAttribute("data-kept");
        group.hidden = !shown;
        group.disabled = !shown;
      });
      if (decisionType) {
        decisionType.querySelectorAll("option[data-items]").forEach(function (option) {
          option.disabled = option.dataset.items.split(" ").indexOf(item) < 0;
        });
        if (decisionType.selectedOptions.length && decisionType.selectedOptions[0].disabled) {
          decisionType.value = "";
        }
      }
    }

    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();

    // a long list of documents to abolish gets a filter by 文号 or title
    form.querySelectorAll("input[data-filter-for]").forEach(function (input) {
      var name = input.dataset.filterFor;
      var list = form.querySelector("[data-filter-list='" + name + "']");
      var empty = form.querySelector("[data-filter-empty='" + name + "']");
      var choices = list ? list.querySelectorAll("label") : [];
      if (choices.length <= 8) { return; }
      input.hidden = false;
      input.addEventListener("input", function () {
        var words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
        var visible = 0;
        choices.forEach(function (label) {
          var text = label.textContent.toLowerCase();
          var box = label.querySelector("input");
          var match = (box && box.checked) || words.every(function (w) { return text.indexOf(w) >= 0; });
          label.hidden = !match;
          if (match) { visible += 1; }
        });
        if (empty) { empty.hidden = visible > 0; }
      });
    });
  });
});
