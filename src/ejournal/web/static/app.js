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

// A refused write in the cell editor (403: a rule of who may write, a stale form) is not
// swapped in; its page's words are shown in the editor instead, as an alert.
document.addEventListener("htmx:responseError", function (event) {
  var panel = document.getElementById("editor");
  var xhr = event.detail.xhr;
  if (!panel || !panel.contains(event.detail.elt) || !xhr) return;
  var page = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
  var said = page.querySelector("main p");
  var alert = document.createElement("p");
  alert.className = "refused";
  alert.setAttribute("role", "alert");
  alert.textContent = "Не принято: " + (said ? said.textContent : "запрос не выполнен (" + xhr.status + ")");
  var old = panel.querySelector(".refused[role=alert]");
  if (old) old.remove();
  var heading = panel.querySelector("h2");
  if (heading) heading.after(alert); else panel.prepend(alert);
});

// A form with «data-confirm» (removing a homework file) asks before it is sent; without
// JavaScript its own step (a reason to give, inside «Удалить») is the confirmation.
document.addEventListener("submit", function (event) {
  var asked = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (asked && !window.confirm(asked)) event.preventDefault();
});
