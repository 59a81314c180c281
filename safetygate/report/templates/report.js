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
  // Each set of filters (one per candidate in a sweep) acts on the flipped prompts that follow it.
  document.querySelectorAll("div.filters").forEach(function (filters) {
    var language = filters.querySelector("select[id^='flip-language']");
    var category = filters.querySelector("select[id^='flip-category']");
    var search = filters.querySelector("input[id^='flip-search']");
    var count = filters.querySelector("[id^='flip-count']");
    if (!(language && category && search && count)) { return; }
    var sections = [];
    for (var el = filters.nextElementSibling; el && el.matches("section.flipped"); el = el.nextElementSibling) {
      sections.push(el);
    }
    function applyFilters() {
      var text = search.value.trim().toLowerCase(), shown = 0;
      sections.forEach(function (section) {
        var visible = (!language.value || section.dataset.language === language.value) &&
          (!category.value || section.dataset.category === category.value) &&
          (!text || section.textContent.toLowerCase().indexOf(text) >= 0);
        section.hidden = !visible;
        if (visible) { shown += 1; }
      });
      count.textContent = shown + " shown";
    }
    [language, category].forEach(function (el) { el.addEventListener("change", applyFilters); });
    search.addEventListener("input", applyFilters);
  });
})();
