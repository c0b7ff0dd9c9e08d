<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es_419">
<context>
    <name>AgentState</name>
    <message>
        <source>Ready</source>
        <translation>Disponible</translation>
    </message>
    <message>
        <source>Not ready</source>
        <translation>No disponible</translation>
    </message>
    <message>
        <source>Ringing</source>
        <translation>Sonando</translation>
    </message>
    <message>
        <source>On a call</source>
        <translation>En llamada</translation>
    </message>
    <message>
        <source>After-call work</source>
        <translation>Trabajo posllamada</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>Desconectado</translation>
    </message>
</context>
<context>
    <name>AgentStateBar</name>
    <message>
        <source>Not-ready reasons</source>
        <translation>Motivos de no disponible</translation>
    </message>
    <message>
        <source>{reason} (up to {minutes} min)</source>
        <translation>{reason} (hasta {minutes} min)</translation>
    </message>
    <message>
        <source>{left} left</source>
        <translation>quedan {left}</translation>
    </message>
    <message>
        <source>After-call work time left</source>
        <translation>Tiempo restante de trabajo posllamada</translation>
    </message>
    <message>
        <source>Time in this state</source>
        <translation>Tiempo en este estado</translation>
    </message>
    <message>
        <source>Ready must wait: submit the disposition of the last call first ({keys})</source>
        <translation>Disponible debe esperar: primero envíe la tipificación de la última llamada ({keys})</translation>
    </message>
    <message>
        <source>The after-call work ran out of time: submit the disposition</source>
        <translation>Se agotó el tiempo de trabajo posllamada: envíe la tipificación</translation>
    </message>
    <message>
        <source>Over the time for this reason</source>
        <translation>Superó el tiempo de este motivo</translation>
    </message>
    <message>
        <source>The phone is not connected: no calls can reach you</source>
        <translation>El teléfono no está conectado: no le pueden entrar llamadas</translation>
    </message>
    <message>
        <source>Choose Ready (F9) to take calls</source>
        <translation>Elija Disponible (F9) para recibir llamadas</translation>
    </message>
    <message>
        <source>Calls are refused until you choose Ready (F9)</source>
        <translation>Las llamadas se rechazan hasta que elija Disponible (F9)</translation>
    </message>
    <message>
        <source>then Ready</source>
        <translation>luego Disponible</translation>
    </message>
    <message>
        <source>then Not ready</source>
        <translation>luego No disponible</translation>
    </message>
    <message>
        <source>then Not ready ({reason})</source>
        <translation>luego No disponible ({reason})</translation>
    </message>
    <message>
        <source>Submit the disposition ({keys}), {then}</source>
        <translation>Envíe la tipificación ({keys}), {then}</translation>
    </message>
    <message>
        <source>{left} left for after-call work, {then}</source>
        <translation>Quedan {left} de trabajo posllamada, {then}</translation>
    </message>
</context>
<context>
    <name>AgentStateForm</name>
    <message>
        <source>Agent state</source>
        <translation>Estado del agente</translation>
    </message>
    <message>
        <source>Time in this state</source>
        <translation>Tiempo en este estado</translation>
    </message>
    <message>
        <source>State details</source>
        <translation>Detalles del estado</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>Disponible</translation>
    </message>
    <message>
        <source>Go Ready</source>
        <translation>Pasar a Disponible</translation>
    </message>
    <message>
        <source>Not ready</source>
        <translation>No disponible</translation>
    </message>
    <message>
        <source>Go Not ready: choose a reason</source>
        <translation>Pasar a No disponible: elija un motivo</translation>
    </message>
</context>
<context>
    <name>CallHistory</name>
    <message>
        <source>Missed ({count})</source>
        <translation>Perdidas ({count})</translation>
    </message>
    <message>
        <source>Missed</source>
        <translation>Perdidas</translation>
    </message>
    <message>
        <source>Unknown number</source>
        <translation>Número desconocido</translation>
    </message>
    <message>
        <source>not answered</source>
        <translation>sin respuesta</translation>
    </message>
    <message>
        <source>missed</source>
        <translation>perdida</translation>
    </message>
    <message>
        <source>Outgoing</source>
        <translation>Saliente</translation>
    </message>
    <message>
        <source>Incoming</source>
        <translation>Entrante</translation>
    </message>
    <message>
        <source>refused while not available</source>
        <translation>rechazada mientras no estaba disponible</translation>
    </message>
    <message>
        <source>declined</source>
        <translation>rechazada</translation>
    </message>
    <message>
        <source>caller hung up</source>
        <translation>el llamante colgó</translation>
    </message>
</context>
<context>
    <name>CallingRules</name>
    <message>
        <source>Allowed: {local_time} in {time_zone}</source>
        <translation>Permitido: {local_time} en {time_zone}</translation>
    </message>
    <message>
        <source>The patient is on the do-not-call list</source>
        <translation>El paciente está en la lista de no llamar</translation>
    </message>
    <message>
        <source>The patient has withdrawn consent to be called</source>
        <translation>El paciente retiró su consentimiento para recibir llamadas</translation>
    </message>
    <message>
        <source>The patient&apos;s time zone is not known: {time_zone}</source>
        <translation>No se conoce la zona horaria del paciente: {time_zone}</translation>
    </message>
    <message>
        <source>The campaign&apos;s calling hours {start}-{end} leave no time inside 08:00-21:00</source>
        <translation>El horario de llamadas de la campaña, {start}-{end}, no deja tiempo dentro de 08:00-21:00</translation>
    </message>
    <message>
        <source>Attempt limit reached: {count} of {limit} in this campaign</source>
        <translation>Se alcanzó el límite de intentos: {count} de {limit} en esta campaña</translation>
    </message>
    <message>
        <source>Too soon after the last attempt ({code}): next try at {next_local} in {time_zone}</source>
        <translation>Es muy pronto después del último intento ({code}): el próximo puede ser a las {next_local} en {time_zone}</translation>
    </message>
    <message>
        <source>Healthcare call limit reached: {count} in the last 24 hours (at most {limit})</source>
        <translation>Se alcanzó el límite de llamadas de salud: {count} en las últimas 24 horas (máximo {limit})</translation>
    </message>
    <message>
        <source>Healthcare call limit reached: {count} in the last 7 days (at most {limit})</source>
        <translation>Se alcanzó el límite de llamadas de salud: {count} en los últimos 7 días (máximo {limit})</translation>
    </message>
    <message>
        <source>Public holiday in the patient&apos;s country ({country}): {holiday} on {date}</source>
        <translation>Feriado en el país del paciente ({country}): {holiday} el {date}</translation>
    </message>
    <message>
        <source>Outside the patient&apos;s calling hours: {local_time} in {time_zone}</source>
        <translation>Fuera del horario de llamadas del paciente: {local_time} en {time_zone}</translation>
    </message>
    <message>
        <source>The patient&apos;s calling hours end at {closes_local} ({time_zone})</source>
        <translation>El horario de llamadas del paciente termina a las {closes_local} ({time_zone})</translation>
    </message>
</context>
<context>
    <name>DemoDesk</name>
    <message>
        <source>a known patient (one match)</source>
        <translation>un paciente conocido (una coincidencia)</translation>
    </message>
    <message>
        <source>a household number (two patients)</source>
        <translation>un número compartido del hogar (dos pacientes)</translation>
    </message>
    <message>
        <source>an unknown caller (search)</source>
        <translation>una persona desconocida (búsqueda)</translation>
    </message>
    <message>
        <source>a Spanish-speaking patient</source>
        <translation>un paciente hispanohablante</translation>
    </message>
    <message>
        <source>a patient with a callback due</source>
        <translation>un paciente con una devolución de llamada pendiente</translation>
    </message>
    <message>
        <source>Call me again</source>
        <translation>Llamarme de nuevo</translation>
    </message>
    <message>
        <source>A demo patient calls the desk: the next of the demo&apos;s cases</source>
        <translation>Un paciente de demostración llama al escritorio: el siguiente caso de la demostración</translation>
    </message>
    <message>
        <source>Demo: you are Ready; {case} calls in a few seconds.</source>
        <translation>Demostración: está Disponible; {case} llamará en unos segundos.</translation>
    </message>
    <message>
        <source>Demo: the next demo patient calls when you are Ready (F9).</source>
        <translation>Demostración: el siguiente paciente de demostración llamará cuando esté Disponible (F9).</translation>
    </message>
    <message>
        <source>Demo: {case} is calling from {number}.</source>
        <translation>Demostración: {case} llama desde el {number}.</translation>
    </message>
</context>
<context>
    <name>DeskBlockedForm</name>
    <message>
        <source>Why the desk is stopped</source>
        <translation>Por qué el escritorio está detenido</translation>
    </message>
    <message>
        <source>What happened</source>
        <translation>Qué pasó</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>Por qué</translation>
    </message>
    <message>
        <source>What to do</source>
        <translation>Qué hacer</translation>
    </message>
    <message>
        <source>Try &amp;now</source>
        <translation>Intentar &amp;ahora</translation>
    </message>
    <message>
        <source>Try to reach the server now</source>
        <translation>Intentar contactar al servidor ahora</translation>
    </message>
    <message>
        <source>&amp;Sign out</source>
        <translation>&amp;Cerrar sesión</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>Cerrar sesión</translation>
    </message>
</context>
<context>
    <name>DeskBlockedPage</name>
    <message>
        <source>Patient data is locked on this workstation</source>
        <translation>Los datos de pacientes están bloqueados en esta estación de trabajo</translation>
    </message>
    <message>
        <source>Pulse has not reached the server for more than {hours} hours, the limit your organisation set for keeping patient data on a workstation that cannot check in.</source>
        <translation>Pulse no ha podido contactar al servidor durante más de {hours} horas, el límite que fijó su organización para conservar datos de pacientes en una estación de trabajo que no puede comunicarse con el servidor.</translation>
    </message>
    <message>
        <source>Connect this workstation to the network (or the VPN). Pulse unlocks by itself as soon as the server answers; if it does not, call IT support.</source>
        <translation>Conecte esta estación de trabajo a la red (o a la VPN). Pulse se desbloquea solo en cuanto el servidor responde; si no lo hace, llame a soporte de TI.</translation>
    </message>
    <message>
        <source>Your queued record is kept and will be sent.</source>
        <translation>Su registro en cola se conserva y se enviará.</translation>
    </message>
    <message>
        <source>Your {count} queued records are kept and will be sent.</source>
        <translation>Sus {count} registros en cola se conservan y se enviarán.</translation>
    </message>
    <message>
        <source>This workstation&apos;s access was withdrawn</source>
        <translation>Se retiró el acceso de esta estación de trabajo</translation>
    </message>
    <message>
        <source>The server says this workstation may no longer be used with Pulse, so the phone was stopped and the patient data on it was erased.</source>
        <translation>El servidor indica que esta estación de trabajo ya no puede usarse con Pulse, por lo que se detuvo el teléfono y se borraron los datos de pacientes que contenía.</translation>
    </message>
    <message>
        <source>Sign out and contact IT support. Work the server had not received yet is kept encrypted on this workstation for IT to recover.</source>
        <translation>Cierre sesión y comuníquese con soporte de TI. El trabajo que el servidor aún no había recibido se conserva cifrado en esta estación de trabajo para que TI lo recupere.</translation>
    </message>
</context>
<context>
    <name>Disposition</name>
    <message>
        <source>You hung up</source>
        <translation>Usted colgó</translation>
    </message>
    <message>
        <source>The other side hung up</source>
        <translation>La otra parte colgó</translation>
    </message>
    <message>
        <source>Transferred</source>
        <translation>Transferida</translation>
    </message>
    <message>
        <source>Replaced by another call</source>
        <translation>Reemplazada por otra llamada</translation>
    </message>
    <message>
        <source>Declined</source>
        <translation>Rechazada</translation>
    </message>
    <message>
        <source>Refused while not available</source>
        <translation>Rechazada mientras no estaba disponible</translation>
    </message>
    <message>
        <source>The audio was lost</source>
        <translation>Se perdió el audio</translation>
    </message>
    <message>
        <source>Ended by an error</source>
        <translation>Terminada por un error</translation>
    </message>
    <message>
        <source>Lost when the phone stopped</source>
        <translation>Perdida al detenerse el teléfono</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>Cancelada</translation>
    </message>
    <message>
        <source>Hung up before an answer</source>
        <translation>Colgó antes de que se contestara</translation>
    </message>
    <message>
        <source>The call failed</source>
        <translation>La llamada falló</translation>
    </message>
    <message>
        <source>Busy</source>
        <translation>Ocupado</translation>
    </message>
    <message>
        <source>No answer</source>
        <translation>No contesta</translation>
    </message>
    <message>
        <source>Rejected</source>
        <translation>Rechazada</translation>
    </message>
    <message>
        <source>Dropped before answer</source>
        <translation>Cortada antes de contestar</translation>
    </message>
    <message>
        <source>Voicemail left</source>
        <translation>Mensaje dejado en el buzón de voz</translation>
    </message>
    <message>
        <source>Handled (no code list on this desk)</source>
        <translation>Atendida (sin lista de códigos en este escritorio)</translation>
    </message>
</context>
<context>
    <name>DispositionPanel</name>
    <message>
        <source>Disposition</source>
        <translation>Tipificación</translation>
    </message>
    <message>
        <source>Unknown number</source>
        <translation>Número desconocido</translation>
    </message>
    <message>
        <source>Call to {number}</source>
        <translation>Llamada al {number}</translation>
    </message>
    <message>
        <source>Call from {number}</source>
        <translation>Llamada del {number}</translation>
    </message>
    <message>
        <source>not answered</source>
        <translation>sin contestar</translation>
    </message>
    <message>
        <source>{duration} talking</source>
        <translation>{duration} en conversación</translation>
    </message>
    <message>
        <source>{index} of {count}</source>
        <translation>{index} de {count}</translation>
    </message>
    <message>
        <source>“{code}” is chosen for this unanswered call: Enter submits</source>
        <translation>Se eligió «{code}» para esta llamada sin contestar: Enter la envía</translation>
    </message>
    <message>
        <source>System codes</source>
        <translation>Códigos del sistema</translation>
    </message>
    <message>
        <source>No code matches “{text}”.</source>
        <translation>Ningún código coincide con «{text}».</translation>
    </message>
    <message>
        <source>Problem with {field}</source>
        <translation>Problema con {field}</translation>
    </message>
    <message>
        <source>Choose yes or no</source>
        <translation>Elija sí o no</translation>
    </message>
    <message>
        <source>Yes</source>
        <translation>Sí</translation>
    </message>
    <message>
        <source>No</source>
        <translation>No</translation>
    </message>
    <message>
        <source>Not chosen: type or use the arrows</source>
        <translation>Sin elegir: escriba o use las flechas</translation>
    </message>
    <message>
        <source>Who calls back</source>
        <translation>Quién devuelve la llamada</translation>
    </message>
    <message>
        <source>I will call back</source>
        <translation>Yo devuelvo la llamada</translation>
    </message>
    <message>
        <source>Anyone on the campaign calls back</source>
        <translation>Cualquier agente de la campaña devuelve la llamada</translation>
    </message>
    <message>
        <source>Patient&apos;s time ({zone})</source>
        <translation>Hora del paciente ({zone})</translation>
    </message>
    <message>
        <source>Your time ({zone}); the patient&apos;s time zone is not known</source>
        <translation>Su hora ({zone}); no se conoce la zona horaria del paciente</translation>
    </message>
    <message>
        <source>calling hours {start}–{end}</source>
        <translation>horario de llamadas {start}–{end}</translation>
    </message>
    <message>
        <source>Draft saved</source>
        <translation>Borrador guardado</translation>
    </message>
    <message>
        <source>Not submitted: the disposition could not be saved</source>
        <translation>No enviada: no se pudo guardar la tipificación</translation>
    </message>
</context>
<context>
    <name>DispositionPanelForm</name>
    <message>
        <source>No after-call work. When a call ends, its disposition is recorded here.</source>
        <translation>No hay trabajo posllamada. Cuando termine una llamada, su tipificación se registra aquí.</translation>
    </message>
    <message>
        <source>The call this disposition is for</source>
        <translation>La llamada a la que corresponde esta tipificación</translation>
    </message>
    <message>
        <source>Which wrap-up</source>
        <translation>Qué trabajo posllamada</translation>
    </message>
    <message>
        <source>Wrap-ups owed</source>
        <translation>Trabajos posllamada pendientes</translation>
    </message>
    <message>
        <source>&amp;Outcome</source>
        <translation>&amp;Resultado</translation>
    </message>
    <message>
        <source>Filter the outcome codes</source>
        <translation>Filtrar los códigos de resultado</translation>
    </message>
    <message>
        <source>Type to filter, Down to choose</source>
        <translation>Escriba para filtrar, Abajo para elegir</translation>
    </message>
    <message>
        <source>Outcome codes</source>
        <translation>Códigos de resultado</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>Resultado</translation>
    </message>
    <message>
        <source>Problem with the outcome</source>
        <translation>Problema con el resultado</translation>
    </message>
    <message>
        <source>Details this outcome needs</source>
        <translation>Datos que requiere este resultado</translation>
    </message>
    <message>
        <source>No&amp;tes</source>
        <translation>No&amp;tas</translation>
    </message>
    <message>
        <source>Notes about the call</source>
        <translation>Notas sobre la llamada</translation>
    </message>
    <message>
        <source>Problem with the notes</source>
        <translation>Problema con las notas</translation>
    </message>
    <message>
        <source>Why the disposition cannot be submitted yet</source>
        <translation>Por qué la tipificación aún no se puede enviar</translation>
    </message>
    <message>
        <source>Draft saved</source>
        <translation>Borrador guardado</translation>
    </message>
    <message>
        <source>Submit</source>
        <translation>Enviar</translation>
    </message>
    <message>
        <source>Submit the disposition</source>
        <translation>Enviar la tipificación</translation>
    </message>
</context>
<context>
    <name>IdentityForm</name>
    <message>
        <source>Check identity</source>
        <translation>Verificar identidad</translation>
    </message>
    <message>
        <source>Choose a reason…</source>
        <translation>Elija un motivo…</translation>
    </message>
    <message>
        <source>Failed checks: {failed} of {limit}</source>
        <translation>Verificaciones fallidas: {failed} de {limit}</translation>
    </message>
    <message>
        <source>{limit} checks allowed on this call</source>
        <translation>{limit} verificaciones permitidas en esta llamada</translation>
    </message>
    <message>
        <source>Locked after {failed} failed checks. Do not discuss health information on this call; offer a call back to the number on file.</source>
        <translation>Bloqueado tras {failed} verificaciones fallidas. No comente información de salud en esta llamada; ofrezca devolver la llamada al número registrado.</translation>
    </message>
    <message>
        <source>The check could not be written to the audit log, so it was not made.</source>
        <translation>La verificación no se pudo registrar en la bitácora de auditoría, así que no se realizó.</translation>
    </message>
    <message>
        <source>Identity verified.</source>
        <translation>Identidad verificada.</translation>
    </message>
    <message>
        <source>The date of birth could not be read: type it like 1961-07-04 or 4 Jul 1961.</source>
        <translation>No se pudo leer la fecha de nacimiento: escríbala como 1961-07-04 o 4 jul 1961.</translation>
    </message>
    <message>
        <source>Enter at least two identifiers the caller gives.</source>
        <translation>Ingrese al menos dos datos de identificación que dé quien llama.</translation>
    </message>
    <message>
        <source>Those identifiers do not match the record ({failed} of {limit} checks failed).</source>
        <translation>Esos datos no coinciden con el expediente ({failed} de {limit} verificaciones fallidas).</translation>
    </message>
</context>
<context>
    <name>IdentityFormForm</name>
    <message>
        <source>Verify the caller</source>
        <translation>Verificar a quien llama</translation>
    </message>
    <message>
        <source>Ask for two of: family name, date of birth, MRN. Type what the caller says; Enter checks it.</source>
        <translation>Pida dos de estos datos: apellido, fecha de nacimiento, expediente (MRN). Escriba lo que dice quien llama; Enter lo verifica.</translation>
    </message>
    <message>
        <source>&amp;Family name</source>
        <translation>&amp;Apellido</translation>
    </message>
    <message>
        <source>Caller&apos;s family name</source>
        <translation>Apellido de quien llama</translation>
    </message>
    <message>
        <source>&amp;Given name (optional)</source>
        <translation>&amp;Nombre (opcional)</translation>
    </message>
    <message>
        <source>Caller&apos;s given name, optional</source>
        <translation>Nombre de quien llama, opcional</translation>
    </message>
    <message>
        <source>Date of &amp;birth</source>
        <translation>&amp;Fecha de nacimiento</translation>
    </message>
    <message>
        <source>Caller&apos;s date of birth</source>
        <translation>Fecha de nacimiento de quien llama</translation>
    </message>
    <message>
        <source>e.g. 1961-07-04 or 4 Jul 1961</source>
        <translation>p. ej., 1961-07-04 o 4 jul 1961</translation>
    </message>
    <message>
        <source>M&amp;RN</source>
        <translation>E&amp;xpediente (MRN)</translation>
    </message>
    <message>
        <source>Caller&apos;s medical record number</source>
        <translation>Número de expediente médico de quien llama</translation>
    </message>
    <message>
        <source>Failed attempts</source>
        <translation>Intentos fallidos</translation>
    </message>
    <message>
        <source>Check identity</source>
        <translation>Verificar identidad</translation>
    </message>
    <message>
        <source>Check the caller&apos;s identifiers</source>
        <translation>Verificar los datos de identificación de quien llama</translation>
    </message>
    <message>
        <source>Result of the identity check</source>
        <translation>Resultado de la verificación de identidad</translation>
    </message>
    <message>
        <source>Cannot verify? Show the card for a reason (audited)</source>
        <translation>¿No puede verificar? Muestre la ficha por un motivo (queda auditado)</translation>
    </message>
    <message>
        <source>Rea&amp;son</source>
        <translation>&amp;Motivo</translation>
    </message>
    <message>
        <source>Reason to show the card without verification</source>
        <translation>Motivo para mostrar la ficha sin verificación</translation>
    </message>
    <message>
        <source>&amp;Note</source>
        <translation>N&amp;ota</translation>
    </message>
    <message>
        <source>Note on the reason</source>
        <translation>Nota sobre el motivo</translation>
    </message>
    <message>
        <source>Why, in a few words (no patient details)</source>
        <translation>Por qué, en pocas palabras (sin datos del paciente)</translation>
    </message>
    <message>
        <source>Show without verification</source>
        <translation>Mostrar sin verificación</translation>
    </message>
    <message>
        <source>Show the card without verification, for the reason chosen</source>
        <translation>Mostrar la ficha sin verificación, por el motivo elegido</translation>
    </message>
</context>
<context>
    <name>Indicator</name>
    <message>
        <source>not started</source>
        <translation>sin iniciar</translation>
    </message>
</context>
<context>
    <name>LockForm</name>
    <message>
        <source>Incoming call</source>
        <translation>Llamada entrante</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Contraseña</translation>
    </message>
    <message>
        <source>Password to unlock</source>
        <translation>Contraseña para desbloquear</translation>
    </message>
    <message>
        <source>&amp;Unlock</source>
        <translation>&amp;Desbloquear</translation>
    </message>
    <message>
        <source>Unlock</source>
        <translation>Desbloquear</translation>
    </message>
</context>
<context>
    <name>LockScreen</name>
    <message>
        <source>Pulse is locked</source>
        <translation>Pulse está bloqueado</translation>
    </message>
    <message>
        <source>Signed in as agent {agent}. Enter your password to continue.</source>
        <translation>Sesión iniciada como agente {agent}. Ingrese su contraseña para continuar.</translation>
    </message>
    <message>
        <source>Unlock to answer</source>
        <translation>Desbloquee para contestar</translation>
    </message>
    <message>
        <source>Enter your password.</source>
        <translation>Ingrese su contraseña.</translation>
    </message>
    <message>
        <source>Unlock failed unexpectedly; the log has the details for IT.</source>
        <translation>El desbloqueo falló de forma inesperada; el registro tiene los detalles para TI.</translation>
    </message>
    <message>
        <source>Sign in again</source>
        <translation>Vuelva a iniciar sesión</translation>
    </message>
    <message>
        <source>The server ended your session. Enter your password to continue as agent {agent}; your queued work is kept and sent once you are signed in.</source>
        <translation>El servidor cerró su sesión. Ingrese su contraseña para continuar como agente {agent}; su trabajo pendiente se conserva y se envía en cuanto inicie sesión.</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <source>Pulse — sign in</source>
        <translation>Pulse — iniciar sesión</translation>
    </message>
    <message>
        <source>Server: {url}</source>
        <translation>Servidor: {url}</translation>
    </message>
    <message>
        <source>Pulse — sign in (demo: synthetic data only)</source>
        <translation>Pulse — iniciar sesión (demostración: solo datos ficticios)</translation>
    </message>
    <message>
        <source>Enter your agent ID and password.</source>
        <translation>Ingrese su ID de agente y su contraseña.</translation>
    </message>
    <message>
        <source>Sign-in failed unexpectedly; the log has the details for IT.</source>
        <translation>El inicio de sesión falló de forma inesperada; el registro tiene los detalles para TI.</translation>
    </message>
    <message>
        <source>The new password needs at least 8 characters.</source>
        <translation>La nueva contraseña necesita al menos 8 caracteres.</translation>
    </message>
    <message>
        <source>The two new passwords are not the same.</source>
        <translation>Las dos contraseñas nuevas no coinciden.</translation>
    </message>
    <message>
        <source>Choose a password different from the one you were given.</source>
        <translation>Elija una contraseña distinta de la que le dieron.</translation>
    </message>
</context>
<context>
    <name>LoginError</name>
    <message>
        <source>Too many attempts. Wait a minute and try again.</source>
        <translation>Demasiados intentos. Espere un minuto y vuelva a intentarlo.</translation>
    </message>
    <message>
        <source>Update required: this server needs Pulse {minimum} or later (you have {current}).</source>
        <translation>Se requiere una actualización: este servidor necesita Pulse {minimum} o posterior (usted tiene {current}).</translation>
    </message>
    <message>
        <source>Agent ID or password is not correct.</source>
        <translation>El ID de agente o la contraseña no son correctos.</translation>
    </message>
    <message>
        <source>This workstation was revoked by your administrator; its local data was erased. Tell IT.</source>
        <translation>Su administrador revocó esta estación de trabajo y se borraron sus datos locales. Avise a TI.</translation>
    </message>
    <message>
        <source>Offline: the server is unreachable and offline sign-in is turned off on this workstation.</source>
        <translation>Sin conexión: no se puede contactar al servidor y el inicio de sesión sin conexión está desactivado en esta estación de trabajo.</translation>
    </message>
    <message>
        <source>Offline: the server is unreachable, and you have not signed in on this workstation before, so Pulse cannot check your password. Try again when the network is back, or tell your team lead.</source>
        <translation>Sin conexión: no se puede contactar al servidor y usted no ha iniciado sesión antes en esta estación de trabajo, así que Pulse no puede verificar su contraseña. Vuelva a intentarlo cuando regrese la red o avise a su líder de equipo.</translation>
    </message>
    <message>
        <source>Offline: this workstation&apos;s clock is earlier than your last sign-in. Tell IT; Pulse cannot sign you in offline.</source>
        <translation>Sin conexión: el reloj de esta estación de trabajo marca una hora anterior a su último inicio de sesión. Avise a TI; Pulse no puede iniciar su sesión sin conexión.</translation>
    </message>
    <message>
        <source>Offline: agent ID or password is not correct.</source>
        <translation>Sin conexión: el ID de agente o la contraseña no son correctos.</translation>
    </message>
    <message>
        <source>Offline: too many wrong passwords. Wait a minute and try again.</source>
        <translation>Sin conexión: demasiadas contraseñas incorrectas. Espere un minuto y vuelva a intentarlo.</translation>
    </message>
    <message>
        <source>This account or workstation is locked. Wait a few minutes, or ask your team lead to unlock it.</source>
        <translation>Esta cuenta o estación de trabajo está bloqueada. Espere unos minutos o pida a su líder de equipo que la desbloquee.</translation>
    </message>
    <message>
        <source>Your password was reset. Choose a new password to sign in.</source>
        <translation>Su contraseña fue restablecida. Elija una contraseña nueva para iniciar sesión.</translation>
    </message>
    <message>
        <source>This workstation is not enrolled: ask IT for an enrolment code.</source>
        <translation>Esta estación de trabajo no está registrada: pida a TI un código de registro.</translation>
    </message>
</context>
<context>
    <name>LoginForm</name>
    <message>
        <source>Pulse — sign in</source>
        <translation>Pulse — iniciar sesión</translation>
    </message>
    <message>
        <source>&lt;h2&gt;Pulse&lt;/h2&gt;Sign in to start your shift.</source>
        <translation>&lt;h2&gt;Pulse&lt;/h2&gt;Inicie sesión para comenzar su turno.</translation>
    </message>
    <message>
        <source>&amp;Agent ID</source>
        <translation>ID de &amp;agente</translation>
    </message>
    <message>
        <source>&amp;Password</source>
        <translation>&amp;Contraseña</translation>
    </message>
    <message>
        <source>&amp;New password</source>
        <translation>&amp;Nueva contraseña</translation>
    </message>
    <message>
        <source>&amp;Confirm new password</source>
        <translation>C&amp;onfirme la nueva contraseña</translation>
    </message>
</context>
<context>
    <name>MainArea</name>
    <message>
        <source>Availability</source>
        <translation>Disponibilidad</translation>
    </message>
    <message>
        <source>Call</source>
        <translation>Llamada</translation>
    </message>
    <message>
        <source>Call controls</source>
        <translation>Controles de llamada</translation>
    </message>
    <message>
        <source>Patient</source>
        <translation>Paciente</translation>
    </message>
    <message>
        <source>Patient card</source>
        <translation>Ficha del paciente</translation>
    </message>
    <message>
        <source>Campaign</source>
        <translation>Campaña</translation>
    </message>
    <message>
        <source>Campaign preview</source>
        <translation>Vista previa de la campaña</translation>
    </message>
    <message>
        <source>Script</source>
        <translation>Guion</translation>
    </message>
    <message>
        <source>Call script</source>
        <translation>Guion de la llamada</translation>
    </message>
    <message>
        <source>Disposition</source>
        <translation>Tipificación</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Pulse {version} — {name}</source>
        <translation>Pulse {version} — {name}</translation>
    </message>
    <message>
        <source>&amp;Pulse</source>
        <translation>&amp;Pulse</translation>
    </message>
    <message>
        <source>P&amp;hone</source>
        <translation>&amp;Teléfono</translation>
    </message>
    <message>
        <source>&amp;Status</source>
        <translation>&amp;Estado</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>A&amp;yuda</translation>
    </message>
    <message>
        <source>&amp;Demo</source>
        <translation>&amp;Demostración</translation>
    </message>
    <message>
        <source>The phone stopped and was restarted; a call in progress was lost. Its after-call work is kept.</source>
        <translation>El teléfono se detuvo y se reinició; se perdió una llamada en curso. Su trabajo posllamada se conserva.</translation>
    </message>
    <message>
        <source>The phone stopped working and could not be restarted.</source>
        <translation>El teléfono dejó de funcionar y no se pudo reiniciar.</translation>
    </message>
    <message>
        <source>The headset is gone; the call continues on {device}.</source>
        <translation>Se desconectó la diadema; la llamada continúa en {device}.</translation>
    </message>
    <message>
        <source>Close Pulse</source>
        <translation>Cerrar Pulse</translation>
    </message>
    <message>
        <source>A call is in progress. Hang up and close Pulse?</source>
        <translation>Hay una llamada en curso. ¿Colgar y cerrar Pulse?</translation>
    </message>
</context>
<context>
    <name>MyDayDialog</name>
    <message>
        <source>My day</source>
        <translation>Mi día</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>Código</translation>
    </message>
    <message>
        <source>Count</source>
        <translation>Cantidad</translation>
    </message>
    <message>
        <source>The local store is not open; the figures are not shown.</source>
        <translation>El almacén local no está abierto; no se muestran las cifras.</translation>
    </message>
    <message>
        <source>My day — {date}</source>
        <translation>Mi día — {date}</translation>
    </message>
    <message>
        <source>{time} (overdue)</source>
        <translation>{time} (vencida)</translation>
    </message>
    <message>
        <source>No callbacks due today</source>
        <translation>No hay devoluciones de llamada para hoy</translation>
    </message>
    <message>
        <source>Everything recorded today has reached the server.</source>
        <translation>Todo lo registrado hoy ya llegó al servidor.</translation>
    </message>
    <message>
        <source>One of today&apos;s records is not on the server yet.</source>
        <translation>Uno de los registros de hoy aún no está en el servidor.</translation>
    </message>
    <message>
        <source>{count} of today&apos;s records are not on the server yet.</source>
        <translation>{count} de los registros de hoy aún no están en el servidor.</translation>
    </message>
</context>
<context>
    <name>MyDayForm</name>
    <message>
        <source>Day</source>
        <translation>Día</translation>
    </message>
    <message>
        <source>Calls handled</source>
        <translation>Llamadas atendidas</translation>
    </message>
    <message>
        <source>Average handle time</source>
        <translation>Tiempo medio de atención</translation>
    </message>
    <message>
        <source>Time in after-call work</source>
        <translation>Tiempo en trabajo posllamada</translation>
    </message>
    <message>
        <source>Time on calls</source>
        <translation>Tiempo en llamadas</translation>
    </message>
    <message>
        <source>After-call work</source>
        <translation>Trabajo posllamada</translation>
    </message>
    <message>
        <source>On calls</source>
        <translation>En llamadas</translation>
    </message>
    <message>
        <source>&amp;Dispositions by code</source>
        <translation>&amp;Tipificaciones por código</translation>
    </message>
    <message>
        <source>Dispositions by code</source>
        <translation>Tipificaciones por código</translation>
    </message>
    <message>
        <source>C&amp;allbacks due today</source>
        <translation>Devoluciones de &amp;llamada para hoy</translation>
    </message>
    <message>
        <source>Callbacks due today</source>
        <translation>Devoluciones de llamada para hoy</translation>
    </message>
    <message>
        <source>Sync of the day&apos;s work</source>
        <translation>Sincronización del trabajo del día</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>&amp;Actualizar</translation>
    </message>
    <message>
        <source>Refresh the figures</source>
        <translation>Actualizar las cifras</translation>
    </message>
</context>
<context>
    <name>NotReadyReason</name>
    <message>
        <source>Break</source>
        <translation>Descanso</translation>
    </message>
    <message>
        <source>Lunch</source>
        <translation>Almuerzo</translation>
    </message>
    <message>
        <source>Meeting</source>
        <translation>Reunión</translation>
    </message>
    <message>
        <source>Training</source>
        <translation>Capacitación</translation>
    </message>
    <message>
        <source>Follow-up work</source>
        <translation>Trabajo de seguimiento</translation>
    </message>
    <message>
        <source>Technical problem</source>
        <translation>Problema técnico</translation>
    </message>
    <message>
        <source>Disposition pending</source>
        <translation>Tipificación pendiente</translation>
    </message>
    <message>
        <source>Desk locked</source>
        <translation>Escritorio bloqueado</translation>
    </message>
</context>
<context>
    <name>OfflineBanner</name>
    <message>
        <source>Working offline since {time}.</source>
        <translation>Trabajando sin conexión desde las {time}.</translation>
    </message>
    <message>
        <source>Working offline.</source>
        <translation>Trabajando sin conexión.</translation>
    </message>
    <message>
        <source>Nothing waiting to be sent.</source>
        <translation>Nada pendiente de envío.</translation>
    </message>
    <message>
        <source>One record queued for the server.</source>
        <translation>Un registro en cola para el servidor.</translation>
    </message>
    <message>
        <source>{count} records queued for the server.</source>
        <translation>{count} registros en cola para el servidor.</translation>
    </message>
    <message>
        <source>Patients and scripts come from this workstation; your work is sent when the server is back.</source>
        <translation>Los pacientes y los guiones vienen de esta estación de trabajo; su trabajo se envía cuando vuelva el servidor.</translation>
    </message>
    <message>
        <source>One item refused by the server needs a look.</source>
        <translation>Un registro rechazado por el servidor requiere revisión.</translation>
    </message>
    <message>
        <source>{count} items refused by the server need a look.</source>
        <translation>{count} registros rechazados por el servidor requieren revisión.</translation>
    </message>
</context>
<context>
    <name>OfflineBannerForm</name>
    <message>
        <source>Connection notice</source>
        <translation>Aviso de conexión</translation>
    </message>
    <message>
        <source>Connection notice text</source>
        <translation>Texto del aviso de conexión</translation>
    </message>
    <message>
        <source>Try &amp;now</source>
        <translation>Intentar &amp;ahora</translation>
    </message>
    <message>
        <source>Try to reach the server now</source>
        <translation>Intentar contactar al servidor ahora</translation>
    </message>
    <message>
        <source>Review refused items…</source>
        <translation>Revisar registros rechazados…</translation>
    </message>
    <message>
        <source>Review the items the server refused</source>
        <translation>Revisar los registros que rechazó el servidor</translation>
    </message>
</context>
<context>
    <name>OfflineDesk</name>
    <message>
        <source>My &amp;day…</source>
        <translation>Mi &amp;día…</translation>
    </message>
    <message>
        <source>&amp;Refused items…</source>
        <translation>&amp;Registros rechazados…</translation>
    </message>
</context>
<context>
    <name>PatientCard</name>
    <message>
        <source>(verify to show)</source>
        <translation>(verifique para mostrar)</translation>
    </message>
    <message>
        <source>none on file</source>
        <translation>ninguno registrado</translation>
    </message>
    <message>
        <source>none</source>
        <translation>ninguno</translation>
    </message>
    <message>
        <source>May be called</source>
        <translation>Se puede llamar</translation>
    </message>
    <message>
        <source>May be called again</source>
        <translation>Se puede volver a llamar</translation>
    </message>
    <message>
        <source>Calling hours closing</source>
        <translation>El horario de llamadas está por terminar</translation>
    </message>
    <message>
        <source>Not callable now</source>
        <translation>No se puede llamar ahora</translation>
    </message>
    <message>
        <source>No further call now</source>
        <translation>No volver a llamar por ahora</translation>
    </message>
    <message>
        <source>home</source>
        <translation>casa</translation>
    </message>
    <message>
        <source>mobile</source>
        <translation>celular</translation>
    </message>
    <message>
        <source>work</source>
        <translation>trabajo</translation>
    </message>
    <message>
        <source>Identity verified</source>
        <translation>Identidad verificada</translation>
    </message>
    <message>
        <source>Shown without verification</source>
        <translation>Mostrada sin verificación</translation>
    </message>
    <message>
        <source>Locked: identity not verified</source>
        <translation>Bloqueada: identidad no verificada</translation>
    </message>
    <message>
        <source>Not verified yet</source>
        <translation>Aún sin verificar</translation>
    </message>
    <message>
        <source>Reason: {reason}</source>
        <translation>Motivo: {reason}</translation>
    </message>
    <message>
        <source>Failed checks: {failed} of {limit}</source>
        <translation>Verificaciones fallidas: {failed} de {limit}</translation>
    </message>
</context>
<context>
    <name>PatientCardForm</name>
    <message>
        <source>First name, to greet the caller</source>
        <translation>Nombre, para saludar a quien llama</translation>
    </message>
    <message>
        <source>Identity</source>
        <translation>Identidad</translation>
    </message>
    <message>
        <source>Calling rules</source>
        <translation>Reglas de llamada</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>Motivo</translation>
    </message>
    <message>
        <source>The call has ended: this card is read-only until the wrap-up is done.</source>
        <translation>La llamada terminó: esta ficha es de solo lectura hasta completar el trabajo posllamada.</translation>
    </message>
    <message>
        <source>Full name</source>
        <translation>Nombre completo</translation>
    </message>
    <message>
        <source>Date of birth</source>
        <translation>Fecha de nacimiento</translation>
    </message>
    <message>
        <source>MRN</source>
        <translation>Expediente (MRN)</translation>
    </message>
    <message>
        <source>Phones</source>
        <translation>Teléfonos</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Idioma</translation>
    </message>
    <message>
        <source>Care program</source>
        <translation>Programa de atención</translation>
    </message>
    <message>
        <source>Campaign</source>
        <translation>Campaña</translation>
    </message>
    <message>
        <source>Not this patient? Choose another</source>
        <translation>¿No es este paciente? Elija otro</translation>
    </message>
    <message>
        <source>Choose another patient who shares this number</source>
        <translation>Elegir otro paciente que comparte este número</translation>
    </message>
    <message>
        <source>Search for another patient</source>
        <translation>Buscar otro paciente</translation>
    </message>
</context>
<context>
    <name>PatientPanel</name>
    <message>
        <source>Patient card</source>
        <translation>Ficha del paciente</translation>
    </message>
    <message>
        <source>The patient card cannot be shown: the local patient store is not available. Search again in a moment.</source>
        <translation>No se puede mostrar la ficha del paciente: el almacén local de pacientes no está disponible. Vuelva a buscar en un momento.</translation>
    </message>
    <message>
        <source>withheld</source>
        <translation>oculto</translation>
    </message>
    <message>
        <source>Number called: {number}</source>
        <translation>Número marcado: {number}</translation>
    </message>
    <message>
        <source>Caller ID: {number}</source>
        <translation>Identificador de llamada: {number}</translation>
    </message>
    <message>
        <source>Name sent by the caller (unverified): {name}</source>
        <translation>Nombre enviado por quien llama (sin verificar): {name}</translation>
    </message>
    <message>
        <source>Incoming call, ringing</source>
        <translation>Llamada entrante, sonando</translation>
    </message>
    <message>
        <source>Calling…</source>
        <translation>Llamando…</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>Conectando…</translation>
    </message>
    <message>
        <source>Outgoing call</source>
        <translation>Llamada saliente</translation>
    </message>
    <message>
        <source>On call</source>
        <translation>En llamada</translation>
    </message>
    <message>
        <source>On hold</source>
        <translation>En espera</translation>
    </message>
    <message>
        <source>Call ended: wrap-up</source>
        <translation>Llamada terminada: trabajo posllamada</translation>
    </message>
    <message>
        <source>The call ended with no patient chosen.</source>
        <translation>La llamada terminó sin elegir un paciente.</translation>
    </message>
    <message>
        <source>Search for the patient by name and date of birth, or by MRN.</source>
        <translation>Busque al paciente por nombre y fecha de nacimiento, o por expediente (MRN).</translation>
    </message>
    <message>
        <source>The patient store could not be asked who has this number. Search by name and date of birth, or by MRN.</source>
        <translation>No se pudo consultar en el almacén de pacientes a quién pertenece este número. Busque por nombre y fecha de nacimiento, o por expediente (MRN).</translation>
    </message>
    <message>
        <source>No patient has this number. Search by name and date of birth, or by MRN.</source>
        <translation>Ningún paciente tiene este número. Busque por nombre y fecha de nacimiento, o por expediente (MRN).</translation>
    </message>
    <message>
        <source>This patient is no longer in the local patient store.</source>
        <translation>Este paciente ya no está en el almacén local de pacientes.</translation>
    </message>
    <message>
        <source>The patient card cannot be shown: its view could not be written to the audit log.</source>
        <translation>No se puede mostrar la ficha del paciente: su consulta no se pudo registrar en la bitácora de auditoría.</translation>
    </message>
    <message>
        <source>The search could not be made: the local patient store is not available.</source>
        <translation>No se pudo hacer la búsqueda: el almacén local de pacientes no está disponible.</translation>
    </message>
    <message>
        <source>The card could not be shown: the reveal was not recorded.</source>
        <translation>No se pudo mostrar la ficha: no se registró el motivo para mostrarla.</translation>
    </message>
</context>
<context>
    <name>PatientPanelForm</name>
    <message>
        <source>The call this card is about</source>
        <translation>La llamada a la que corresponde esta ficha</translation>
    </message>
    <message>
        <source>No call. The patient card appears here as soon as a call rings.</source>
        <translation>Sin llamadas. La ficha del paciente aparece aquí en cuanto suena una llamada.</translation>
    </message>
</context>
<context>
    <name>PatientPicker</name>
    <message>
        <source>{given} {family}  ·  MRN {mrn}</source>
        <translation>{given} {family}  ·  Exp. {mrn}</translation>
    </message>
    <message>
        <source>{count} patients share this number.</source>
        <translation>{count} pacientes comparten este número.</translation>
    </message>
</context>
<context>
    <name>PatientPickerForm</name>
    <message>
        <source>Ask who is calling, then choose the patient (arrow keys, then Enter). Nothing is shown until you choose.</source>
        <translation>Pregunte quién llama y luego elija al paciente (flechas y después Enter). No se muestra nada hasta que elija.</translation>
    </message>
    <message>
        <source>Patients who share this number</source>
        <translation>Pacientes que comparten este número</translation>
    </message>
    <message>
        <source>&amp;Show this patient</source>
        <translation>&amp;Mostrar este paciente</translation>
    </message>
    <message>
        <source>Show the chosen patient&apos;s card</source>
        <translation>Mostrar la ficha del paciente elegido</translation>
    </message>
    <message>
        <source>Search instead</source>
        <translation>Buscar en su lugar</translation>
    </message>
    <message>
        <source>Search for another patient</source>
        <translation>Buscar otro paciente</translation>
    </message>
</context>
<context>
    <name>PatientSearch</name>
    <message>
        <source>No patient found. Check the spelling and the date, or try the MRN.</source>
        <translation>No se encontró ningún paciente. Revise la ortografía y la fecha, o pruebe con el expediente (MRN).</translation>
    </message>
    <message>
        <source>{count} found: choose the caller (arrow keys, then Enter).</source>
        <translation>{count} encontrados: elija a quien llama (flechas y después Enter).</translation>
    </message>
    <message>
        <source>Enter the family name and the date of birth, or the MRN.</source>
        <translation>Ingrese el apellido y la fecha de nacimiento, o el expediente (MRN).</translation>
    </message>
    <message>
        <source>The date of birth could not be read: type it like 1961-07-04 or 4 Jul 1961.</source>
        <translation>No se pudo leer la fecha de nacimiento: escríbala como 1961-07-04 o 4 jul 1961.</translation>
    </message>
</context>
<context>
    <name>PatientSearchForm</name>
    <message>
        <source>&amp;Family name</source>
        <translation>&amp;Apellido</translation>
    </message>
    <message>
        <source>Search: family name</source>
        <translation>Búsqueda: apellido</translation>
    </message>
    <message>
        <source>&amp;Given name (optional)</source>
        <translation>&amp;Nombre (opcional)</translation>
    </message>
    <message>
        <source>Search: given name, optional</source>
        <translation>Búsqueda: nombre, opcional</translation>
    </message>
    <message>
        <source>Date of &amp;birth</source>
        <translation>&amp;Fecha de nacimiento</translation>
    </message>
    <message>
        <source>Search: date of birth</source>
        <translation>Búsqueda: fecha de nacimiento</translation>
    </message>
    <message>
        <source>e.g. 1961-07-04 or 4 Jul 1961</source>
        <translation>p. ej., 1961-07-04 o 4 jul 1961</translation>
    </message>
    <message>
        <source>or</source>
        <translation>o</translation>
    </message>
    <message>
        <source>&amp;MRN</source>
        <translation>E&amp;xpediente (MRN)</translation>
    </message>
    <message>
        <source>Search: medical record number</source>
        <translation>Búsqueda: número de expediente médico</translation>
    </message>
    <message>
        <source>Sea&amp;rch</source>
        <translation>&amp;Buscar</translation>
    </message>
    <message>
        <source>Search for the patient</source>
        <translation>Buscar al paciente</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>Volver</translation>
    </message>
    <message>
        <source>Back to the patient card</source>
        <translation>Volver a la ficha del paciente</translation>
    </message>
    <message>
        <source>Patients found</source>
        <translation>Pacientes encontrados</translation>
    </message>
    <message>
        <source>&amp;Show this patient</source>
        <translation>&amp;Mostrar este paciente</translation>
    </message>
    <message>
        <source>Show the chosen patient&apos;s card</source>
        <translation>Mostrar la ficha del paciente elegido</translation>
    </message>
</context>
<context>
    <name>PhoneRetryButton</name>
    <message>
        <source>Retry</source>
        <translation>Reintentar</translation>
    </message>
    <message>
        <source>Start the phone again</source>
        <translation>Volver a iniciar el teléfono</translation>
    </message>
    <message>
        <source>The phone did not start. Start it again.</source>
        <translation>El teléfono no se inició. Vuelva a iniciarlo.</translation>
    </message>
</context>
<context>
    <name>PulseStatusBar</name>
    <message>
        <source>State</source>
        <translation>Estado</translation>
    </message>
    <message>
        <source>Server</source>
        <translation>Servidor</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>Teléfono</translation>
    </message>
    <message>
        <source>Encryption</source>
        <translation>Cifrado</translation>
    </message>
    <message>
        <source>Audio</source>
        <translation>Audio</translation>
    </message>
    <message>
        <source>Sync</source>
        <translation>Sincronización</translation>
    </message>
    <message>
        <source>In this state for {time}</source>
        <translation>En este estado desde hace {time}</translation>
    </message>
    <message>
        <source>over the time allowed for this reason</source>
        <translation>superó el tiempo permitido para este motivo</translation>
    </message>
    <message>
        <source>not configured</source>
        <translation>sin configurar</translation>
    </message>
    <message>
        <source>starting</source>
        <translation>iniciando</translation>
    </message>
    <message>
        <source>registering</source>
        <translation>registrando</translation>
    </message>
    <message>
        <source>registered</source>
        <translation>registrado</translation>
    </message>
    <message>
        <source>ready (direct calls)</source>
        <translation>listo (llamadas directas)</translation>
    </message>
    <message>
        <source>registration failed</source>
        <translation>falló el registro</translation>
    </message>
    <message>
        <source>not registered</source>
        <translation>sin registrar</translation>
    </message>
    <message>
        <source>not running</source>
        <translation>detenido</translation>
    </message>
    <message>
        <source>No phone account is set up on this workstation; IT sets it in the [sip] settings.</source>
        <translation>No hay una cuenta telefónica configurada en esta estación de trabajo; TI la configura en los ajustes [sip].</translation>
    </message>
    <message>
        <source>Registered at {registrar}</source>
        <translation>Registrado en {registrar}</translation>
    </message>
    <message>
        <source>Registering at {registrar}</source>
        <translation>Registrando en {registrar}</translation>
    </message>
    <message>
        <source>The registrar refused or did not answer; retrying.</source>
        <translation>El servidor de registro rechazó la solicitud o no respondió; se vuelve a intentar.</translation>
    </message>
    <message>
        <source>No registrar: calls reach this workstation directly.</source>
        <translation>Sin servidor de registro: las llamadas llegan directamente a esta estación de trabajo.</translation>
    </message>
    <message>
        <source>The phone process is not running.</source>
        <translation>El proceso del teléfono no está en ejecución.</translation>
    </message>
    <message>
        <source>TLS</source>
        <translation>TLS</translation>
    </message>
    <message>
        <source>SRTP</source>
        <translation>SRTP</translation>
    </message>
    <message>
        <source>Call set-up is encrypted (TLS).</source>
        <translation>El establecimiento de la llamada está cifrado (TLS).</translation>
    </message>
    <message>
        <source>Call set-up is not encrypted.</source>
        <translation>El establecimiento de la llamada no está cifrado.</translation>
    </message>
    <message>
        <source>No call audio now.</source>
        <translation>No hay audio de llamada en este momento.</translation>
    </message>
    <message>
        <source>This call&apos;s audio is encrypted (SRTP).</source>
        <translation>El audio de esta llamada está cifrado (SRTP).</translation>
    </message>
    <message>
        <source>This call&apos;s audio is NOT encrypted.</source>
        <translation>El audio de esta llamada NO está cifrado.</translation>
    </message>
    <message>
        <source>none</source>
        <translation>ninguno</translation>
    </message>
    <message>
        <source>connecting</source>
        <translation>conectando</translation>
    </message>
    <message>
        <source>flowing</source>
        <translation>activo</translation>
    </message>
    <message>
        <source>on hold</source>
        <translation>en espera</translation>
    </message>
    <message>
        <source>no sound from the caller</source>
        <translation>no llega sonido de quien llama</translation>
    </message>
    <message>
        <source>Nothing has arrived from the other side for {time}.</source>
        <translation>No ha llegado nada del otro lado desde hace {time}.</translation>
    </message>
    <message>
        <source>not sending</source>
        <translation>no se envía</translation>
    </message>
    <message>
        <source>Nothing has been sent to the other side for {time}.</source>
        <translation>No se ha enviado nada al otro lado desde hace {time}.</translation>
    </message>
    <message>
        <source>stalled</source>
        <translation>interrumpido</translation>
    </message>
    <message>
        <source>No audio in either direction for {time}.</source>
        <translation>Sin audio en ninguna dirección desde hace {time}.</translation>
    </message>
    <message>
        <source>never</source>
        <translation>nunca</translation>
    </message>
    <message>
        <source>offline</source>
        <translation>sin conexión</translation>
    </message>
    <message>
        <source>Offline since {time}. Pulse keeps working: patients and scripts come from this workstation, and your work is queued.</source>
        <translation>Sin conexión desde las {time}. Pulse sigue funcionando: los pacientes y los guiones vienen de esta estación de trabajo y su trabajo queda en cola.</translation>
    </message>
    <message>
        <source>online</source>
        <translation>en línea</translation>
    </message>
    <message>
        <source>Connected to the server.</source>
        <translation>Conectado al servidor.</translation>
    </message>
    <message>
        <source>sign in</source>
        <translation>inicie sesión</translation>
    </message>
    <message>
        <source>The server asks you to sign in again; your work stays queued.</source>
        <translation>El servidor le pide que vuelva a iniciar sesión; su trabajo sigue en cola.</translation>
    </message>
    <message>
        <source>revoked</source>
        <translation>acceso revocado</translation>
    </message>
    <message>
        <source>This workstation was revoked; the local cache was erased.</source>
        <translation>Esta estación de trabajo fue revocada; se borró la caché local.</translation>
    </message>
    <message>
        <source>checking</source>
        <translation>verificando</translation>
    </message>
    <message>
        <source>Contacting the server.</source>
        <translation>Contactando al servidor.</translation>
    </message>
    <message>
        <source>Last successful sync: {time}.</source>
        <translation>Última sincronización correcta: {time}.</translation>
    </message>
    <message>
        <source>One item was refused by the server and needs a look.</source>
        <translation>El servidor rechazó un registro que requiere revisión.</translation>
    </message>
    <message>
        <source>{count} items were refused by the server and need a look.</source>
        <translation>El servidor rechazó {count} registros que requieren revisión.</translation>
    </message>
    <message>
        <source>Sending one queued item.</source>
        <translation>Enviando un registro en cola.</translation>
    </message>
    <message>
        <source>Sending {count} queued items.</source>
        <translation>Enviando {count} registros en cola.</translation>
    </message>
    <message>
        <source>One item waits for the server.</source>
        <translation>Un registro espera al servidor.</translation>
    </message>
    <message>
        <source>{count} items wait for the server.</source>
        <translation>{count} registros esperan al servidor.</translation>
    </message>
    <message>
        <source>syncing</source>
        <translation>sincronizando</translation>
    </message>
    <message>
        <source>{count} queued</source>
        <translation>{count} en cola</translation>
    </message>
    <message>
        <source>{count} refused</source>
        <translation>{count} rechazados</translation>
    </message>
    <message>
        <source>waiting</source>
        <translation>pendiente</translation>
    </message>
    <message>
        <source>Nothing synced with the server yet.</source>
        <translation>Todavía no se ha sincronizado nada con el servidor.</translation>
    </message>
    <message>
        <source>up to date</source>
        <translation>al día</translation>
    </message>
</context>
<context>
    <name>QueuePanel</name>
    <message>
        <source>Campaign</source>
        <translation>Campaña</translation>
    </message>
    <message>
        <source>This campaign has no voicemail message to leave.</source>
        <translation>Esta campaña no tiene un mensaje de buzón de voz para dejar.</translation>
    </message>
    <message>
        <source>No campaign to work. Outbound patients appear here.</source>
        <translation>No hay campaña para trabajar. Aquí aparecen los pacientes a llamar.</translation>
    </message>
    <message>
        <source>Progressive</source>
        <translation>Progresiva</translation>
    </message>
    <message>
        <source>Preview</source>
        <translation>Vista previa</translation>
    </message>
    <message>
        <source>Press Start to get the first patient of this campaign.</source>
        <translation>Presione Comenzar para recibir el primer paciente de esta campaña.</translation>
    </message>
    <message>
        <source>&amp;Start calling</source>
        <translation>&amp;Comenzar a llamar</translation>
    </message>
    <message>
        <source>Asking the server for the next patient…</source>
        <translation>Pidiendo al servidor el siguiente paciente…</translation>
    </message>
    <message>
        <source>No patient to call in this campaign right now.</source>
        <translation>Por ahora no hay pacientes para llamar en esta campaña.</translation>
    </message>
    <message>
        <source>&amp;Next patient</source>
        <translation>&amp;Siguiente paciente</translation>
    </message>
    <message>
        <source>Patient record not on this desk</source>
        <translation>La ficha del paciente no está en este equipo</translation>
    </message>
    <message>
        <source>The patient cannot be shown: the view could not be audited.</source>
        <translation>No se puede mostrar al paciente: no se pudo registrar la consulta en la auditoría.</translation>
    </message>
    <message>
        <source>{local} local time ({zone}) · {number}</source>
        <translation>{local} hora local ({zone}) · {number}</translation>
    </message>
    <message>
        <source>Callback</source>
        <translation>Devolución de llamada</translation>
    </message>
    <message>
        <source>May call</source>
        <translation>Se puede llamar</translation>
    </message>
    <message>
        <source>Call soon</source>
        <translation>Llame pronto</translation>
    </message>
    <message>
        <source>Not callable now</source>
        <translation>No se puede llamar ahora</translation>
    </message>
    <message>
        <source>Not disposed yet</source>
        <translation>Aún sin resultado</translation>
    </message>
    <message>
        <source>No attempts yet</source>
        <translation>Todavía no hay intentos</translation>
    </message>
    <message>
        <source>Calling in {seconds} s…</source>
        <translation>Llamando en {seconds} s…</translation>
    </message>
    <message>
        <source>Patient</source>
        <translation>Paciente</translation>
    </message>
    <message>
        <source>anyone</source>
        <translation>cualquiera</translation>
    </message>
    <message>
        <source>me</source>
        <translation>mí</translation>
    </message>
    <message>
        <source>Due</source>
        <translation>Pendiente</translation>
    </message>
    <message>
        <source>{when} · {name} · for {whose}</source>
        <translation>{when} · {name} · para {whose}</translation>
    </message>
    <message>
        <source>No callbacks</source>
        <translation>No hay devoluciones de llamada</translation>
    </message>
    <message>
        <source>{n} due</source>
        <translation>{n} pendientes</translation>
    </message>
    <message>
        <source>Not for this campaign</source>
        <translation>No corresponde a esta campaña</translation>
    </message>
    <message>
        <source>Record needs review first</source>
        <translation>La ficha necesita revisión primero</translation>
    </message>
    <message>
        <source>Already reached today</source>
        <translation>Ya se le contactó hoy</translation>
    </message>
    <message>
        <source>Other</source>
        <translation>Otro</translation>
    </message>
</context>
<context>
    <name>QueuePanelForm</name>
    <message>
        <source>Campaign</source>
        <translation>Campaña</translation>
    </message>
    <message>
        <source>Dialing mode</source>
        <translation>Modo de marcación</translation>
    </message>
    <message>
        <source>No campaign to work. Outbound patients appear here.</source>
        <translation>No hay campaña para trabajar. Aquí aparecen los pacientes a llamar.</translation>
    </message>
    <message>
        <source>&amp;Next patient</source>
        <translation>&amp;Siguiente paciente</translation>
    </message>
    <message>
        <source>Ask for the next patient</source>
        <translation>Pedir el siguiente paciente</translation>
    </message>
    <message>
        <source>The patient to call</source>
        <translation>El paciente a llamar</translation>
    </message>
    <message>
        <source>Patient</source>
        <translation>Paciente</translation>
    </message>
    <message>
        <source>Calling rules</source>
        <translation>Reglas de llamadas</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>Por qué</translation>
    </message>
    <message>
        <source>Progressive countdown</source>
        <translation>Cuenta regresiva progresiva</translation>
    </message>
    <message>
        <source>&amp;Call now</source>
        <translation>&amp;Llamar ahora</translation>
    </message>
    <message>
        <source>Call the patient</source>
        <translation>Llamar al paciente</translation>
    </message>
    <message>
        <source>Skip reason</source>
        <translation>Motivo para omitir</translation>
    </message>
    <message>
        <source>S&amp;kip</source>
        <translation>&amp;Omitir</translation>
    </message>
    <message>
        <source>Skip this patient</source>
        <translation>Omitir este paciente</translation>
    </message>
    <message>
        <source>&amp;Attempts so far</source>
        <translation>&amp;Intentos hasta ahora</translation>
    </message>
    <message>
        <source>Attempts so far</source>
        <translation>Intentos hasta ahora</translation>
    </message>
    <message>
        <source>Campaign message</source>
        <translation>Mensaje de la campaña</translation>
    </message>
    <message>
        <source>Call&amp;backs</source>
        <translation>&amp;Devoluciones de llamada</translation>
    </message>
    <message>
        <source>Callbacks due</source>
        <translation>Devoluciones pendientes</translation>
    </message>
    <message>
        <source>Callbacks</source>
        <translation>Devoluciones de llamada</translation>
    </message>
</context>
<context>
    <name>RefusedItemsDialog</name>
    <message>
        <source>Items the server refused</source>
        <translation>Registros que rechazó el servidor</translation>
    </message>
    <message>
        <source>Field</source>
        <translation>Campo</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Valor</translation>
    </message>
    <message>
        <source>The local store is not open; nothing can be shown.</source>
        <translation>El almacén local no está abierto; no se puede mostrar nada.</translation>
    </message>
    <message>
        <source>The server&apos;s reason: {reason}</source>
        <translation>Motivo del servidor: {reason}</translation>
    </message>
    <message>
        <source>The corrected copy could not be saved; try again.</source>
        <translation>No se pudo guardar la copia corregida; vuelva a intentarlo.</translation>
    </message>
    <message>
        <source>The item could not be queued again; try again.</source>
        <translation>No se pudo volver a poner el registro en cola; vuelva a intentarlo.</translation>
    </message>
</context>
<context>
    <name>RefusedItemsForm</name>
    <message>
        <source>The server did not accept these items. Each shows the server&apos;s reason. Correct a disposition and send the corrected copy, or send an item again once the cause has been fixed. Nothing is sent twice.</source>
        <translation>El servidor no aceptó estos registros. Cada uno muestra el motivo del servidor. Corrija una tipificación y envíe la copia corregida, o vuelva a enviar un registro una vez resuelta la causa. Nada se envía dos veces.</translation>
    </message>
    <message>
        <source>Refused items</source>
        <translation>Registros rechazados</translation>
    </message>
    <message>
        <source>The server&apos;s reason</source>
        <translation>Motivo del servidor</translation>
    </message>
    <message>
        <source>&amp;Code</source>
        <translation>&amp;Código</translation>
    </message>
    <message>
        <source>Disposition code</source>
        <translation>Código de tipificación</translation>
    </message>
    <message>
        <source>&amp;Fields</source>
        <translation>Ca&amp;mpos</translation>
    </message>
    <message>
        <source>Field values</source>
        <translation>Valores de los campos</translation>
    </message>
    <message>
        <source>&amp;Notes</source>
        <translation>&amp;Notas</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Notas</translation>
    </message>
    <message>
        <source>Send &amp;again unchanged</source>
        <translation>Volver a enviar &amp;sin cambios</translation>
    </message>
    <message>
        <source>Send the item again unchanged</source>
        <translation>Volver a enviar el registro sin cambios</translation>
    </message>
    <message>
        <source>Send &amp;corrected copy</source>
        <translation>Enviar copia &amp;corregida</translation>
    </message>
    <message>
        <source>Send the corrected copy</source>
        <translation>Enviar la copia corregida</translation>
    </message>
    <message>
        <source>Nothing is waiting for a correction.</source>
        <translation>No hay nada pendiente de corrección.</translation>
    </message>
</context>
<context>
    <name>RevealReasons</name>
    <message>
        <source>Clinical emergency: the patient&apos;s safety is at risk</source>
        <translation>Emergencia clínica: la seguridad del paciente está en riesgo</translation>
    </message>
    <message>
        <source>Authorised representative on file</source>
        <translation>Representante autorizado registrado</translation>
    </message>
    <message>
        <source>The caller cannot give identifiers (disability)</source>
        <translation>Quien llama no puede dar datos de identificación (discapacidad)</translation>
    </message>
    <message>
        <source>Other (explain in the note)</source>
        <translation>Otro (explíquelo en la nota)</translation>
    </message>
</context>
<context>
    <name>RingAlert</name>
    <message>
        <source>Incoming call</source>
        <translation>Llamada entrante</translation>
    </message>
    <message>
        <source>Unknown number</source>
        <translation>Número desconocido</translation>
    </message>
</context>
<context>
    <name>ScriptPanel</name>
    <message>
        <source>Call script</source>
        <translation>Guion de la llamada</translation>
    </message>
    <message>
        <source>No script yet: the call&apos;s campaign is known once the patient is chosen.</source>
        <translation>Aún no hay guion: la campaña de la llamada se conoce cuando se elige al paciente.</translation>
    </message>
    <message>
        <source>This call&apos;s campaign has no script.</source>
        <translation>La campaña de esta llamada no tiene guion.</translation>
    </message>
    <message>
        <source>The campaign&apos;s script has not reached this desk yet. It is shown once it is synced.</source>
        <translation>El guion de la campaña aún no llega a este escritorio. Se mostrará cuando se sincronice.</translation>
    </message>
    <message>
        <source>The campaign&apos;s script cannot be shown: it is damaged. Tell your supervisor.</source>
        <translation>No se puede mostrar el guion de la campaña: está dañado. Avise a su supervisor.</translation>
    </message>
    <message>
        <source>version {version}</source>
        <translation>versión {version}</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>Listo</translation>
    </message>
    <message>
        <source>Finish</source>
        <translation>Terminar</translation>
    </message>
    <message>
        <source>Next</source>
        <translation>Siguiente</translation>
    </message>
    <message>
        <source>Kept as recorded with version {version}; this desk now has a newer one.</source>
        <translation>Se conserva tal como se registró con la versión {version}; este escritorio ya tiene una más reciente.</translation>
    </message>
    <message>
        <source>Shown in {shown}: no {wanted} version of this script.</source>
        <translation>Se muestra en {shown}: este guion no tiene versión en {wanted}.</translation>
    </message>
    <message>
        <source>Shown in {shown}; the patient prefers {wanted}.</source>
        <translation>Se muestra en {shown}; el paciente prefiere {wanted}.</translation>
    </message>
    <message>
        <source>Script done: {done} steps</source>
        <translation>Guion terminado: {done} pasos</translation>
    </message>
    <message>
        <source>Step {position} of at least {total}</source>
        <translation>Paso {position} de al menos {total}</translation>
    </message>
    <message>
        <source>Step {position} of {total}</source>
        <translation>Paso {position} de {total}</translation>
    </message>
    <message>
        <source>Answer {number}: {answer}</source>
        <translation>Respuesta {number}: {answer}</translation>
    </message>
    <message>
        <source>The caller&apos;s answer (key {number})</source>
        <translation>La respuesta de quien llama (tecla {number})</translation>
    </message>
    <message>
        <source>The answer given before</source>
        <translation>La respuesta dada antes</translation>
    </message>
    <message>
        <source>your name</source>
        <translation>su nombre</translation>
    </message>
    <message>
        <source>campaign</source>
        <translation>campaña</translation>
    </message>
    <message>
        <source>first name</source>
        <translation>nombre</translation>
    </message>
    <message>
        <source>last name</source>
        <translation>apellido</translation>
    </message>
    <message>
        <source>full name</source>
        <translation>nombre completo</translation>
    </message>
    <message>
        <source>date of birth</source>
        <translation>fecha de nacimiento</translation>
    </message>
    <message>
        <source>MRN</source>
        <translation>expediente (MRN)</translation>
    </message>
    <message>
        <source>phone number</source>
        <translation>número de teléfono</translation>
    </message>
    <message>
        <source>care program</source>
        <translation>programa de atención</translation>
    </message>
    <message>
        <source>appointment time</source>
        <translation>hora de la cita</translation>
    </message>
</context>
<context>
    <name>ScriptPanelForm</name>
    <message>
        <source>The script appears when a call starts.</source>
        <translation>El guion aparece cuando empieza una llamada.</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>&amp;Idioma</translation>
    </message>
    <message>
        <source>Script language</source>
        <translation>Idioma del guion</translation>
    </message>
    <message>
        <source>Preview before the call: the script starts when the call is placed.</source>
        <translation>Vista previa antes de la llamada: el guion empieza cuando se realiza la llamada.</translation>
    </message>
    <message>
        <source>Script preview</source>
        <translation>Vista previa del guion</translation>
    </message>
    <message>
        <source>Script progress</source>
        <translation>Avance del guion</translation>
    </message>
    <message>
        <source>Required disclosure: read it word for word</source>
        <translation>Aviso obligatorio: léalo palabra por palabra</translation>
    </message>
    <message>
        <source>What to say</source>
        <translation>Qué decir</translation>
    </message>
    <message>
        <source>Read to the caller</source>
        <translation>Leído a quien llama</translation>
    </message>
    <message>
        <source>The disclosure was read to the caller</source>
        <translation>Se leyó el aviso a quien llama</translation>
    </message>
    <message>
        <source>The caller&apos;s answer</source>
        <translation>La respuesta de quien llama</translation>
    </message>
    <message>
        <source>The caller&apos;s answers</source>
        <translation>Las respuestas de quien llama</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>Atrás</translation>
    </message>
    <message>
        <source>Back one step</source>
        <translation>Un paso atrás</translation>
    </message>
    <message>
        <source>Next</source>
        <translation>Siguiente</translation>
    </message>
    <message>
        <source>Next step</source>
        <translation>Paso siguiente</translation>
    </message>
    <message>
        <source>The script answers could not be saved. They are kept while Pulse stays open; the next step tries again.</source>
        <translation>No se pudieron guardar las respuestas del guion. Se conservan mientras Pulse siga abierto; el siguiente paso lo vuelve a intentar.</translation>
    </message>
</context>
<context>
    <name>Shortcuts</name>
    <message>
        <source>Answer the ringing call</source>
        <translation>Contestar la llamada que suena</translation>
    </message>
    <message>
        <source>Decline the ringing call</source>
        <translation>Rechazar la llamada que suena</translation>
    </message>
    <message>
        <source>Hang up</source>
        <translation>Colgar</translation>
    </message>
    <message>
        <source>Hold or resume</source>
        <translation>Poner en espera o reanudar</translation>
    </message>
    <message>
        <source>Mute or unmute the microphone</source>
        <translation>Silenciar o activar el micrófono</translation>
    </message>
    <message>
        <source>Transfer the call</source>
        <translation>Transferir la llamada</translation>
    </message>
    <message>
        <source>Add a third party (conference)</source>
        <translation>Agregar a un tercero (conferencia)</translation>
    </message>
    <message>
        <source>Show or hide the keypad</source>
        <translation>Mostrar u ocultar el teclado</translation>
    </message>
    <message>
        <source>Go to the number field</source>
        <translation>Ir al campo de número</translation>
    </message>
    <message>
        <source>Call the number in the number field</source>
        <translation>Llamar al número escrito</translation>
    </message>
    <message>
        <source>Redial the last number</source>
        <translation>Volver a marcar el último número</translation>
    </message>
    <message>
        <source>Go to the call history</source>
        <translation>Ir al historial de llamadas</translation>
    </message>
    <message>
        <source>Call the campaign&apos;s next patient</source>
        <translation>Llamar al siguiente paciente de la campaña</translation>
    </message>
    <message>
        <source>Leave the campaign&apos;s voicemail message</source>
        <translation>Dejar el mensaje de buzón de voz de la campaña</translation>
    </message>
    <message>
        <source>Verify the caller&apos;s identity</source>
        <translation>Verificar la identidad de quien llama</translation>
    </message>
    <message>
        <source>Search for a patient</source>
        <translation>Buscar un paciente</translation>
    </message>
    <message>
        <source>Submit the disposition</source>
        <translation>Enviar la tipificación</translation>
    </message>
    <message>
        <source>Go to the call script</source>
        <translation>Ir al guion de la llamada</translation>
    </message>
    <message>
        <source>Script: back one step</source>
        <translation>Guion: un paso atrás</translation>
    </message>
    <message>
        <source>Script: next step</source>
        <translation>Guion: paso siguiente</translation>
    </message>
    <message>
        <source>Go Ready</source>
        <translation>Pasar a Disponible</translation>
    </message>
    <message>
        <source>Go Not ready (choose a reason)</source>
        <translation>Pasar a No disponible (elegir un motivo)</translation>
    </message>
    <message>
        <source>Show the keyboard shortcuts</source>
        <translation>Mostrar los atajos de teclado</translation>
    </message>
    <message>
        <source>Show My day (today&apos;s figures)</source>
        <translation>Mostrar Mi día (las cifras de hoy)</translation>
    </message>
    <message>
        <source>Review the items the server refused</source>
        <translation>Revisar los registros que rechazó el servidor</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>Cerrar sesión</translation>
    </message>
</context>
<context>
    <name>ShortcutsForm</name>
    <message>
        <source>Every action of the desk has a key. The same keys are shown in each button&apos;s tooltip.</source>
        <translation>Cada acción de Pulse tiene su tecla. Las mismas teclas aparecen en la descripción emergente de cada botón.</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>Atajos de teclado</translation>
    </message>
</context>
<context>
    <name>ShortcutsSheet</name>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>Atajos de teclado</translation>
    </message>
    <message>
        <source>0–9, *, #</source>
        <translation>0–9, *, #</translation>
    </message>
    <message>
        <source>During a call: send tones (when no text field has the focus)</source>
        <translation>Durante una llamada: enviar tonos (cuando ningún campo de texto tiene el foco)</translation>
    </message>
    <message>
        <source>1–9</source>
        <translation>1–9</translation>
    </message>
    <message>
        <source>In the call script: give the caller&apos;s answer</source>
        <translation>En el guion de la llamada: marcar la respuesta de quien llama</translation>
    </message>
    <message>
        <source>Tab, Shift+Tab</source>
        <translation>Tab, Mayúsculas+Tab</translation>
    </message>
    <message>
        <source>Move between controls</source>
        <translation>Moverse entre los controles</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>Teclas</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>Acción</translation>
    </message>
</context>
<context>
    <name>SoftphoneForm</name>
    <message>
        <source>Number to call</source>
        <translation>Número a marcar</translation>
    </message>
    <message>
        <source>Type or paste a phone number, an extension or a SIP address, then press Enter</source>
        <translation>Escriba o pegue un número telefónico, una extensión o una dirección SIP y presione Enter</translation>
    </message>
    <message>
        <source>Call</source>
        <translation>Llamar</translation>
    </message>
    <message>
        <source>Call the number</source>
        <translation>Llamar al número</translation>
    </message>
    <message>
        <source>Redial the last number</source>
        <translation>Volver a marcar el último número</translation>
    </message>
    <message>
        <source>Redial</source>
        <translation>Remarcar</translation>
    </message>
    <message>
        <source>Number check</source>
        <translation>Revisión del número</translation>
    </message>
    <message>
        <source>Notice</source>
        <translation>Aviso</translation>
    </message>
    <message>
        <source>Current call</source>
        <translation>Llamada actual</translation>
    </message>
    <message>
        <source>Caller</source>
        <translation>Quien llama</translation>
    </message>
    <message>
        <source>Call state</source>
        <translation>Estado de la llamada</translation>
    </message>
    <message>
        <source>Call time</source>
        <translation>Duración de la llamada</translation>
    </message>
    <message>
        <source>Call details</source>
        <translation>Detalles de la llamada</translation>
    </message>
    <message>
        <source>Call waiting</source>
        <translation>Llamada en espera</translation>
    </message>
    <message>
        <source>Answer</source>
        <translation>Contestar</translation>
    </message>
    <message>
        <source>Answer the ringing call</source>
        <translation>Contestar la llamada que suena</translation>
    </message>
    <message>
        <source>Decline</source>
        <translation>Rechazar</translation>
    </message>
    <message>
        <source>Decline the ringing call</source>
        <translation>Rechazar la llamada que suena</translation>
    </message>
    <message>
        <source>Hold</source>
        <translation>Retener</translation>
    </message>
    <message>
        <source>Hold or resume the call</source>
        <translation>Poner en espera o reanudar la llamada</translation>
    </message>
    <message>
        <source>Mute</source>
        <translation>Silenciar</translation>
    </message>
    <message>
        <source>Mute or unmute the microphone</source>
        <translation>Silenciar o activar el micrófono</translation>
    </message>
    <message>
        <source>Keypad</source>
        <translation>Teclado</translation>
    </message>
    <message>
        <source>Show or hide the keypad</source>
        <translation>Mostrar u ocultar el teclado</translation>
    </message>
    <message>
        <source>Transfer</source>
        <translation>Transferir</translation>
    </message>
    <message>
        <source>Transfer the call</source>
        <translation>Transferir la llamada</translation>
    </message>
    <message>
        <source>Conference</source>
        <translation>Conferencia</translation>
    </message>
    <message>
        <source>Add a third party</source>
        <translation>Agregar a un tercero</translation>
    </message>
    <message>
        <source>Hang up</source>
        <translation>Colgar</translation>
    </message>
    <message>
        <source>Consult call</source>
        <translation>Llamada de consulta</translation>
    </message>
    <message>
        <source>Complete transfer</source>
        <translation>Completar transferencia</translation>
    </message>
    <message>
        <source>Complete the transfer</source>
        <translation>Completar la transferencia</translation>
    </message>
    <message>
        <source>Merge into conference</source>
        <translation>Unir en conferencia</translation>
    </message>
    <message>
        <source>Merge the calls into a conference</source>
        <translation>Unir las llamadas en una conferencia</translation>
    </message>
    <message>
        <source>Other calls</source>
        <translation>Otras llamadas</translation>
    </message>
    <message>
        <source>Call history</source>
        <translation>Historial de llamadas</translation>
    </message>
    <message>
        <source>This shift</source>
        <translation>Este turno</translation>
    </message>
    <message>
        <source>Calls of this shift</source>
        <translation>Llamadas de este turno</translation>
    </message>
    <message>
        <source>Press Enter on a call to put its number in the number field</source>
        <translation>Presione Enter sobre una llamada para poner su número en el campo de número</translation>
    </message>
    <message>
        <source>Missed</source>
        <translation>Perdidas</translation>
    </message>
    <message>
        <source>Missed calls</source>
        <translation>Llamadas perdidas</translation>
    </message>
</context>
<context>
    <name>SoftphonePanel</name>
    <message>
        <source>Call history: this shift or missed</source>
        <translation>Historial de llamadas: este turno o perdidas</translation>
    </message>
    <message>
        <source>Send tone {digit}</source>
        <translation>Enviar tono {digit}</translation>
    </message>
    <message>
        <source>Send tone {digit} ({digit})</source>
        <translation>Enviar tono {digit} ({digit})</translation>
    </message>
    <message>
        <source>Type or paste a number to call.</source>
        <translation>Escriba o pegue un número para llamar.</translation>
    </message>
    <message>
        <source>This is not a number that can be called.</source>
        <translation>Este no es un número al que se pueda llamar.</translation>
    </message>
    <message>
        <source>Calls {target}</source>
        <translation>Llama a {target}</translation>
    </message>
    <message>
        <source>Call waiting: {number}. Answer puts the current call on hold.</source>
        <translation>Llamada en espera: {number}. Al contestar, la llamada actual queda en espera.</translation>
    </message>
    <message>
        <source>Unknown number</source>
        <translation>Número desconocido</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>Reanudar</translation>
    </message>
    <message>
        <source>Hold</source>
        <translation>Retener</translation>
    </message>
    <message>
        <source>Unmute</source>
        <translation>Activar micrófono</translation>
    </message>
    <message>
        <source>Mute</source>
        <translation>Silenciar</translation>
    </message>
    <message>
        <source>Consulting {target} ({state}); {caller} waits on hold. Complete the transfer, merge everyone into a conference, or hang up to go back.</source>
        <translation>Consultando con {target} ({state}); {caller} espera en línea. Complete la transferencia, una a todos en una conferencia o cuelgue para regresar.</translation>
    </message>
    <message>
        <source>the caller</source>
        <translation>quien llama</translation>
    </message>
    <message>
        <source>No call</source>
        <translation>Sin llamada</translation>
    </message>
    <message>
        <source>Conference of {count} and you</source>
        <translation>Conferencia de {count} y usted</translation>
    </message>
    <message>
        <source>Calls ring here</source>
        <translation>Las llamadas suenan aquí</translation>
    </message>
    <message>
        <source>No phone is set up on this workstation</source>
        <translation>No hay un teléfono configurado en esta estación de trabajo</translation>
    </message>
    <message>
        <source>The phone is starting…</source>
        <translation>El teléfono se está iniciando…</translation>
    </message>
    <message>
        <source>The phone is connecting…</source>
        <translation>El teléfono se está conectando…</translation>
    </message>
    <message>
        <source>The phone is not ready for calls</source>
        <translation>El teléfono no está listo para llamadas</translation>
    </message>
    <message>
        <source>Incoming call — you are not available; it will be declined</source>
        <translation>Llamada entrante — usted no está disponible; se rechazará</translation>
    </message>
    <message>
        <source>Incoming call — answering automatically</source>
        <translation>Llamada entrante — contestando automáticamente</translation>
    </message>
    <message>
        <source>Incoming call — ringing</source>
        <translation>Llamada entrante — sonando</translation>
    </message>
    <message>
        <source>Calling…</source>
        <translation>Llamando…</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>Conectando…</translation>
    </message>
    <message>
        <source>Talking</source>
        <translation>En conversación</translation>
    </message>
    <message>
        <source>On hold</source>
        <translation>En espera</translation>
    </message>
    <message>
        <source>Ended</source>
        <translation>Terminada</translation>
    </message>
    <message>
        <source>In the conference</source>
        <translation>En la conferencia</translation>
    </message>
    <message>
        <source>Talking — muted</source>
        <translation>En conversación — micrófono silenciado</translation>
    </message>
    <message>
        <source>Outgoing call</source>
        <translation>Llamada saliente</translation>
    </message>
    <message>
        <source>Incoming</source>
        <translation>Entrante</translation>
    </message>
    <message>
        <source>transferring…</source>
        <translation>transfiriendo…</translation>
    </message>
    <message>
        <source>the transfer failed; the caller is still with you</source>
        <translation>la transferencia falló; quien llama sigue con usted</translation>
    </message>
    <message>
        <source>no audio — the line may be down</source>
        <translation>sin audio — puede que la línea esté caída</translation>
    </message>
    <message>
        <source>hold did not work: your microphone is off for this caller</source>
        <translation>la espera no funcionó: su micrófono está apagado para quien llama</translation>
    </message>
    <message>
        <source>encrypted</source>
        <translation>cifrada</translation>
    </message>
    <message>
        <source>not encrypted</source>
        <translation>sin cifrar</translation>
    </message>
    <message>
        <source>tones sent: {digits}</source>
        <translation>tonos enviados: {digits}</translation>
    </message>
</context>
<context>
    <name>TransferDialog</name>
    <message>
        <source>Transfer or add a party</source>
        <translation>Transferir o agregar a alguien</translation>
    </message>
    <message>
        <source>Type a number or choose someone from the directory.</source>
        <translation>Escriba un número o elija a alguien del directorio.</translation>
    </message>
    <message>
        <source>This is not a number that can be called.</source>
        <translation>Este no es un número al que se pueda llamar.</translation>
    </message>
</context>
<context>
    <name>TransferForm</name>
    <message>
        <source>Transfer &amp;to (number, extension, or a name from the directory):</source>
        <translation>&amp;Transferir a (número, extensión o un nombre del directorio):</translation>
    </message>
    <message>
        <source>Type a number or filter the directory</source>
        <translation>Escriba un número o filtre el directorio</translation>
    </message>
    <message>
        <source>Transfer to</source>
        <translation>Transferir a</translation>
    </message>
    <message>
        <source>Type a number, or type to filter the directory and press Down to choose</source>
        <translation>Escriba un número, o escriba para filtrar el directorio y presione Abajo para elegir</translation>
    </message>
    <message>
        <source>Directory</source>
        <translation>Directorio</translation>
    </message>
    <message>
        <source>How</source>
        <translation>Cómo</translation>
    </message>
    <message>
        <source>Kind of transfer</source>
        <translation>Tipo de transferencia</translation>
    </message>
    <message>
        <source>Transfer &amp;now (blind): the caller goes straight to them</source>
        <translation>Transferir &amp;ahora (directa): quien llama pasa de inmediato</translation>
    </message>
    <message>
        <source>Blind transfer</source>
        <translation>Transferencia directa</translation>
    </message>
    <message>
        <source>Talk to them &amp;first (warm): the caller waits on hold</source>
        <translation>Hablar con ellos &amp;primero (asistida): quien llama espera en línea</translation>
    </message>
    <message>
        <source>Warm transfer</source>
        <translation>Transferencia asistida</translation>
    </message>
    <message>
        <source>&amp;Add them to this call (conference of three)</source>
        <translation>A&amp;gregarlos a esta llamada (conferencia de tres)</translation>
    </message>
    <message>
        <source>Conference</source>
        <translation>Conferencia</translation>
    </message>
    <message>
        <source>Problem</source>
        <translation>Problema</translation>
    </message>
</context>
<context>
    <name>Workflow</name>
    <message>
        <source>The patient asked not to be called (do-not-call).</source>
        <translation>El paciente pidió que no lo llamen (no llamar).</translation>
    </message>
    <message>
        <source>The patient withdrew consent to be called.</source>
        <translation>El paciente retiró su consentimiento para recibir llamadas.</translation>
    </message>
    <message>
        <source>The patient&apos;s record is not on this desk.</source>
        <translation>La ficha del paciente no está en este equipo.</translation>
    </message>
    <message>
        <source>The patient list cannot be read: try again shortly.</source>
        <translation>No se puede leer la lista de pacientes: intente de nuevo en un momento.</translation>
    </message>
    <message>
        <source>The campaign&apos;s calling hours cannot be read.</source>
        <translation>No se puede leer el horario de llamadas de la campaña.</translation>
    </message>
    <message>
        <source>No patient to call in this campaign right now.</source>
        <translation>Por ahora no hay pacientes para llamar en esta campaña.</translation>
    </message>
    <message>
        <source>The lease ran out; the patient went back to the list.</source>
        <translation>La asignación venció; el paciente volvió a la lista.</translation>
    </message>
    <message>
        <source>The patient has no number to call.</source>
        <translation>El paciente no tiene un número para llamar.</translation>
    </message>
    <message>
        <source>A callback is due: it is on the callbacks list.</source>
        <translation>Hay una devolución de llamada pendiente: está en la lista de devoluciones.</translation>
    </message>
    <message>
        <source>The server cannot be reached and no patient is kept on this desk: try again shortly.</source>
        <translation>No se puede contactar con el servidor y no hay pacientes guardados en este escritorio: vuelva a intentarlo en breve.</translation>
    </message>
    <message>
        <source>The server cannot be reached: this patient is one of those kept on this desk.</source>
        <translation>No se puede contactar con el servidor: este paciente es uno de los guardados en este escritorio.</translation>
    </message>
    <message>
        <source>The audit log could not be written.</source>
        <translation>No se pudo escribir en la bitácora de auditoría.</translation>
    </message>
    <message>
        <source>Finish the after-call work first.</source>
        <translation>Primero termine el trabajo posllamada.</translation>
    </message>
    <message>
        <source>The desk is locked: no calls until the patient store opens again.</source>
        <translation>El escritorio está bloqueado: no hay llamadas hasta que el almacén de pacientes se abra de nuevo.</translation>
    </message>
    <message>
        <source>The phone is not registered: no call can be made.</source>
        <translation>El teléfono no está registrado: no se pueden hacer llamadas.</translation>
    </message>
    <message>
        <source>The state change could not be saved.</source>
        <translation>No se pudo guardar el cambio de estado.</translation>
    </message>
    <message>
        <source>The phone stopped working; it is being restarted.</source>
        <translation>El teléfono dejó de funcionar; se está reiniciando.</translation>
    </message>
    <message>
        <source>Another call is still being connected.</source>
        <translation>Todavía se está conectando otra llamada.</translation>
    </message>
    <message>
        <source>The phone is not available right now.</source>
        <translation>El teléfono no está disponible en este momento.</translation>
    </message>
    <message>
        <source>Notes are limited to {count} characters.</source>
        <translation>Las notas tienen un límite de {count} caracteres.</translation>
    </message>
    <message>
        <source>This campaign needs the patient&apos;s answer to the recording disclosure: record it in the script first.</source>
        <translation>Esta campaña necesita la respuesta del paciente al aviso de grabación: regístrela primero en el guion.</translation>
    </message>
    <message>
        <source>Answer yes or no: {field}.</source>
        <translation>Responda sí o no: {field}.</translation>
    </message>
    <message>
        <source>Fill in: {field}.</source>
        <translation>Complete: {field}.</translation>
    </message>
    <message>
        <source>Keep it under {count} characters.</source>
        <translation>Use menos de {count} caracteres.</translation>
    </message>
    <message>
        <source>A callback needs the patient: choose the patient first.</source>
        <translation>Una devolución de llamada requiere al paciente: primero elija al paciente.</translation>
    </message>
    <message>
        <source>Choose a time in the future.</source>
        <translation>Elija una hora futura.</translation>
    </message>
    <message>
        <source>Choose a time within a year.</source>
        <translation>Elija una hora dentro del próximo año.</translation>
    </message>
    <message>
        <source>Choose a time between {start} and {end}, the patient&apos;s local time.</source>
        <translation>Elija una hora entre las {start} y las {end}, hora local del paciente.</translation>
    </message>
    <message>
        <source>Choose a disposition code.</source>
        <translation>Elija un código de tipificación.</translation>
    </message>
    <message>
        <source>This code is no longer in the campaign&apos;s list: choose another.</source>
        <translation>Este código ya no está en la lista de la campaña: elija otro.</translation>
    </message>
    <message>
        <source>Enter a date and time, for example 2026-03-03 15:30.</source>
        <translation>Ingrese una fecha y hora, por ejemplo 2026-03-03 15:30.</translation>
    </message>
    <message>
        <source>That time does not exist there (the clocks change): choose another.</source>
        <translation>Esa hora no existe allí (hay cambio de horario): elija otra.</translation>
    </message>
    <message>
        <source>The disposition could not be saved; it is still here: try again.</source>
        <translation>No se pudo guardar la tipificación; sigue aquí: vuelva a intentarlo.</translation>
    </message>
    <message>
        <source>The call&apos;s details could not be saved for after a restart.</source>
        <translation>No se pudieron guardar los datos de la llamada para después de un reinicio.</translation>
    </message>
    <message>
        <source>What you typed could not be saved; keep this window open.</source>
        <translation>No se pudo guardar lo que escribió; mantenga esta ventana abierta.</translation>
    </message>
</context>
</TS>
