// Shows each run time in the reader's zone and reloads the page every minute.
"use strict";
for (const t of document.querySelectorAll("time[datetime]")) {
  const d = new Date(t.getAttribute("datetime"));
  if (!isNaN(d)) { t.textContent = d.toLocaleString(); }
}
document.body.dataset.scripted = "1";
setTimeout(() => location.reload(), 60000);
