// The reply form shows "负责公开的机关" only for the outcome that needs it (本机关不掌握相关政府信息);
// without this script the field stays visible, with its help text saying when to fill it.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-reply-form]").forEach(function (form) {
    var outcome = form.querySelector("select[name=outcome]");
    var field = form.querySelector("#field-reply-competent_agency");
    if (!outcome || !field) { return; }
    function toggle() { field.hidden = outcome.value !== "unable_not_held"; }
    outcome.addEventListener("change", toggle);
    toggle();
  });
});
