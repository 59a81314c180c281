// Sorting and filtering without a network: click a sortable header; pick a language or category of flipped prompts.
(function () {
  "use strict";
  document.querySelectorAll("th.sortable").forEach(function (th) {
    th.addEventListener("click", function () {
      var table = th.closest("table"), body = table.tBodies[0];
      var index = Array.prototype.indexOf.call(th.parentNode.children, th);
      var numeric = th.dataset.type === "num";
      var ascending = th.dataset.order !== "asc";
      th.dataset.order = ascending ? "asc" : "desc";
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[index].dataset.sort || a.cells[index].textContent;
        var y = b.cells[index].dataset.sort || b.cells[index].textContent;
        var order = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  var language = document.getElementById("flip-language");
  var category = document.getElementById("flip-category");
  var search = document.getElementById("flip-search");
  var count = document.getElementById("flip-count");
  function applyFilters() {
    var text = search.value.trim().toLowerCase(), shown = 0;
    document.querySelectorAll("section.flipped").forEach(function (section) {
      var visible = (!language.value || section.dataset.language === language.value) &&
        (!category.value || section.dataset.category === category.value) &&
        (!text || section.textContent.toLowerCase().indexOf(text) >= 0);
      section.hidden = !visible;
      if (visible) { shown += 1; }
    });
    count.textContent = shown + " shown";
  }
  if (language && category && search) {
    [language, category].forEach(function (el) { el.addEventListener("change", applyFilters); });
    search.addEventListener("input", applyFilters);
  }
})();
