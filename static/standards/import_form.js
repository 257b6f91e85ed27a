// The import form's two-file rule, checked before sending: an items CSV needs its materials CSV, a workbook goes alone.
// The server applies the same rule (standards.importexport.upload_pair_problem); this only saves a useless upload.
(function () {
  const form = document.getElementById("import-form");
  if (!form) return;
  const items = form.querySelector("#id_file");
  const materials = form.querySelector("#id_materials_file");
  const box = document.getElementById("import-form-error");
  function problem() {
    const name = items.files.length ? items.files[0].name.toLowerCase() : "";
    const hasMaterials = materials.files.length > 0;
    if (name.endsWith(".csv") && !hasMaterials) return form.dataset.needMaterials;
    if (name.endsWith(".xlsx") && hasMaterials) return form.dataset.workbookAlone;
    return "";
  }
  function show() {
    const text = problem();
    materials.required = items.files.length > 0 && items.files[0].name.toLowerCase().endsWith(".csv");
    box.textContent = text;
    box.hidden = !text;
    return text;
  }
  items.addEventListener("change", show);
  materials.addEventListener("change", show);
  form.addEventListener("submit", function (event) {
    if (show()) {
      event.preventDefault();
      (materials.required ? materials : items).focus();
    }
  });
})();
