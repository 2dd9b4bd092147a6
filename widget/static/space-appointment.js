/* Appointments in the space: an agreed next chat, shown read-only with its time, state and
 * the volunteer's alias. The hook for the appointments' own module: it may replace this
 * file (same export) to add actions; the section is #appointment in space.html. */
import { $ } from "./config.js";
import { t, when } from "./words.js";

export function renderAppointments(appointments) {
  const list = $("appointments");
  list.textContent = "";
  for (const appointment of appointments || []) {
    const li = document.createElement("li");
    li.dataset.state = appointment.state;
    const time = document.createElement("time");
    time.dateTime = appointment.at;
    time.textContent = when(appointment.at);
    li.append(time, " · ", t(`appointment_${appointment.state}`));
    if (appointment.volunteer) li.append(" · ", t("appointment_with", { alias: appointment.volunteer }));
    list.append(li);
  }
  $("appointment").hidden = !list.children.length;
}
