// The body's editor: TinyMCE (self-hosted, django-tinymce's static files) over each
// textarea[data-rich-text], with the options the form renders next to it (webui.forms
// editor_config) and one button of our own: the first-line indent of Chinese documents
// (text-indent: 2em), which Word and WPS write on nearly every paragraph. Without
// JavaScript the textarea posts the HTML as it is; the server sanitises it either way.
document.addEventListener("DOMContentLoaded", function () {
  if (!window.tinymce) { return; }
  document.querySelectorAll("textarea[data-rich-text]").forEach(function (area) {
    var config = JSON.parse(document.getElementById(area.dataset.richText).textContent);
    var indentLabel = config.first_line_indent_label;
    delete config.first_line_indent_label;
    config.target = area;
    config.setup = function (editor) {
      editor.on("init", function () {
        editor.formatter.register("firstlineindent", {
          selector: "p,h1,h2,h3,h4,h5,h6,li,td,th,div,blockquote",
          styles: { textIndent: "2em" }
        });
        area.dataset.editorReady = "true";
      });
      editor.ui.registry.addToggleButton("firstlineindent", {
        icon: "indent", tooltip: indentLabel,
        onAction: function () { editor.formatter.toggle("firstlineindent"); },
        onSetup: function (api) {
          var changed = editor.formatter.formatChanged("firstlineindent", api.setActive);
          return function () { changed.unbind(); };
        }
      });
      // keep the textarea current, so a plain form submit posts what is shown
      editor.on("change input undo redo", function () { editor.save(); });
    };
    tinymce.init(config);
  });
});
