// Small behaviour beyond htmx: «Закрыть» empties the cell editor beside the grid instead of
// reloading the page (without JavaScript it is a link back to the journal).
document.addEventListener("click", function (event) {
  var link = event.target.closest("[data-close]");
  if (!link) return;
  var panel = document.getElementById(link.getAttribute("data-close"));
  if (!panel) return;
  event.preventDefault();
  panel.innerHTML = "";
});
