// Irreversible actions (撤回, 删除附件, 一键脱敏, 不予公开, 终审通过) ask first. Their form is
// marked data-confirm and holds a "confirm" checkbox the server requires; here the checkbox
// is hidden and submitting opens the form's <dialog> instead, which ticks it on 确认.
// Without this script (or without <dialog>) the checkbox stays visible and must be ticked.
document.addEventListener("DOMContentLoaded", function () {
  if (typeof HTMLDialogElement !== "function") { return; }
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    var box = form.querySelector("[data-confirm-box]");
    var checkbox = box && box.querySelector("input[name=confirm]");
    var dialog = form.querySelector("dialog[data-confirm-dialog]");
    if (!checkbox || !dialog) { return; }
    box.hidden = true;
    form.addEventListener("submit", function (event) {
      if (checkbox.checked) { return; }
      event.preventDefault();
      dialog.showModal();
    });
    dialog.querySelector("[data-confirm-ok]").addEventListener("click", function () {
      checkbox.checked = true;
      dialog.close();
      form.requestSubmit ? form.requestSubmit() : form.submit();
    });
    dialog.querySelector("[data-confirm-cancel]").addEventListener("click", function () {
      dialog.close();
    });
    // Esc closes the dialog without confirming; the box stays unticked
    dialog.addEventListener("close", function () {
      if (!checkbox.checked) { form.querySelector("[type=submit]").focus(); }
    });
  });
});
