// Every line the CLI prints, in English and Spanish. The language follows WA_LANG, then the
// locale (LC_ALL, LC_MESSAGES, LANG): es* is Spanish, anything else English.

export type Language = 'en' | 'es';

export function cliLanguage(env: NodeJS.ProcessEnv): Language {
  const chosen = [env.WA_LANG, env.LC_ALL, env.LC_MESSAGES, env.LANG].find((v) => v && v.trim() !== '');
  return chosen?.trim().toLowerCase().startsWith('es') ? 'es' : 'en';
}

const en = {
  help: {
    main: `wa-inbox <command> [options]

Commands:
  configure   point Twilio's status callback and inbound URL at BASE_URL (--dry-run, --event-streams)
  doctor      check the setup, one line per check; exit 1 on any failure
  backfill    import Twilio's message history (--since YYYY-MM-DD [--until YYYY-MM-DD])
  users       add | list | disable | reset-password
  export      write conversations and their messages as JSON or CSV (--conversation ID | --phone +57…)

Run 'wa-inbox <command> --help' for a command's options. Configuration comes from the
environment and .env, as for the server. Output follows WA_LANG, then LANG (es: Spanish).`,
    configure: `wa-inbox configure [--dry-run] [--event-streams]
Sets the status callback (BASE_URL/api/whatsapp/status) and the inbound URL
(BASE_URL/api/whatsapp/incoming) on the Messaging Service (TWILIO_MESSAGING_SERVICE_SID) and on the
WhatsApp sender, through Twilio's API. Prints each value before and after. Idempotent.
  --event-streams   instead, create the Event Streams webhook sink (BASE_URL/api/twilio/events,
                    with EVENT_STREAMS_USER/PASSWORD as basic auth when set) and its subscription
                    to the messaging events: it also captures messages whose sender sets its own
                    status callback. Idempotent.`,
    doctor: `wa-inbox doctor
Checks variables, database, Twilio credentials, that BASE_URL is https and answers 405 to GET
/api/whatsapp/status, that Twilio's callbacks point at us, when the last callback came, and what
the last reconciliation did (older messages re-checked at Twilio included).
In demo mode (no Twilio credentials) what only concerns the real Twilio is information, not a
failure. While the server holds a PGlite folder, doctor asks the server instead of opening it.`,
    backfill: `wa-inbox backfill --since YYYY-MM-DD [--until YYYY-MM-DD] [--restart]
Imports every message of the account in the range from Twilio's message list, both directions,
never duplicating and fixing missed statuses. Resumes an interrupted run unless --restart.
Without --until the range ends now: run again later, it imports only what arrived since.`,
    users: `wa-inbox users <subcommand> [options]

Subcommands:
  add              create a user (--email, --name, --password, [--role agent|admin])
  list             list the users
  disable          stop a user from logging in (--email)
  reset-password   set a new password (--email, --password)

Run 'wa-inbox users <subcommand> --help' for its options. With PGlite (no DATABASE_URL),
stop the server first, or manage users on the panel's Usuarios page.`,
    export: `wa-inbox export [--conversation ID | --phone +57…] [--format json|csv] [--out FILE]
Exports one conversation (by its id, or by the customer's phone) or, without either, all of them,
for a patient's record or a move to another tool: each conversation with its contact (phone, name,
WhatsApp profile name), and every message oldest first with its id, Twilio SID, direction, source,
status, text, template SID and variables, error, who sent it (name and email), its times
(created, sent, delivered, read, failed) and its media.
  --format json   (default) one document: { exportedAt, baseUrl, conversations: [...] }
  --format csv    one row per message with the conversation's phone and name; UTF-8 with a BOM
                  so that Excel shows accents
  --out FILE      write to FILE (readable by its owner only); without it, standard output
Media are links to BASE_URL/api/media/<message id>/<n>: they open only with a panel session
(log in to the panel in the same browser first). With PGlite (no DATABASE_URL) stop the server
first: it holds DATA_DIR.`,
    'users add': `wa-inbox users add --email E --name N --password P [--role agent|admin]
Creates a user who can log in to the panel. The password needs at least 8 characters;
the role is agent unless --role admin.`,
    'users list': `wa-inbox users list
Lists the users, one a line: email, name, role, and "disabled" for those who cannot log in.`,
    'users disable': `wa-inbox users disable --email E
Stops the user from logging in and ends her open sessions.`,
    'users reset-password': `wa-inbox users reset-password --email E --password P
Sets a new password (at least 8 characters) and ends the user's open sessions.`,
  },
  unknownCommand: (c: string) => `Unknown command '${c}'.`,
  unknownSubcommand: (c: string) => `unknown subcommand '${c}'`,
  missingSubcommand: 'a subcommand is needed',
  badOption: (detail: string) => `options not understood: ${detail}`,
  unknownOption: (o: string) => `unknown option '${o}'`,
  error: (m: string) => `error: ${m}`,
  invalidConfig: 'invalid environment variables:',
  needsTwilio: 'TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set: this command talks to Twilio',
  /** usersHint: what the panel's Users page offers instead, for a users subcommand. */
  dataDirLocked: (dir: string, pid: number, usersHint: 'add' | 'manage' | null) =>
    `the server is running on ${dir} (pid ${pid}): stop it first${usersHint === 'add' ? ', or add users from the Usuarios page' : usersHint === 'manage' ? ', or do it from the Usuarios page' : ''}`,
  configure: {
    nothing: 'Nothing to configure: set TWILIO_MESSAGING_SERVICE_SID, or register a WhatsApp sender in Twilio.',
    none: '(none)',
    wouldChange: '(would change)',
    changed: '(changed)',
    alreadySet: '(already set)',
    field: { 'status callback': 'status callback', 'inbound URL': 'inbound URL', sink: 'webhook', 'event types': 'event types' } as Record<string, string>,
  },
  backfill: {
    sinceRequired: '--since is required (e.g. --since 2026-11-01)',
    badDate: (name: string) => `--${name} must be a date like 2026-11-01`,
    progress: (seen: number, added: number, updated: number) => `seen ${seen}  new ${added}  updated ${updated}`,
    resumed: (at: string) => `Resumed an interrupted run from ${at}.`,
    caughtUp: (at: string) => `This range was imported before: imported what arrived since ${at}.`,
    done: (seen: number, added: number, updated: number, ignored: number) => `seen ${seen}, new ${added}, updated ${updated}, not WhatsApp ${ignored}`,
  },
  export: {
    oneOfThem: '--conversation and --phone each name one conversation: give only one of them',
    badFormat: (f: string) => `--format must be json or csv, not '${f}'`,
    badPhone: (p: string) => `--phone: '${p}' is not a phone number like +573153369631`,
    emptyOut: '--out needs a file name (or - for standard output)',
    cannotWrite: (file: string, reason: string) => `cannot write ${file}: ${reason}`,
    noConversation: (id: string) => `no conversation with id ${id}`,
    noPhone: (phone: string) => `no conversation with ${phone}`,
    done: (conversations: number, messages: number, file: string) =>
      `exported ${conversations} ${conversations === 1 ? 'conversation' : 'conversations'}, ${messages} ${messages === 1 ? 'message' : 'messages'} to ${file}`,
  },
  users: {
    disabled: 'disabled',
    added: (email: string, role: string) => `added ${email} (${role})`,
    disabledUser: (email: string) => `disabled ${email}`,
    passwordSet: (email: string) => `new password set for ${email}`,
    noUser: (email: string | undefined) => `no user with email ${email ?? '(missing --email)'}`,
    addNeeds: 'users add needs --email, --name and --password',
    badEmail: (email: string) => `--email: '${email}' is not an email address`,
    badName: '--name must have 1 to 100 characters',
    badRole: '--role must be agent or admin',
    shortPassword: '--password must have at least 8 characters (and at most 1024)',
    passwordNeeded: '--password (at least 8 characters) is required',
  },
  startup: {
    failed: (what: string, fix: string) => `wa-inbox could not start: ${what}. Fix: ${fix}`,
    portInUse: (port: number, host: string) => `port ${port} on ${host} is already in use (EADDRINUSE): another program, or another wa-inbox, listens there`,
    portInUseFix: 'stop that program, or set PORT to a free port',
    portDenied: (port: number) => `this user may not listen on port ${port} (EACCES)`,
    portDeniedFix: 'use a port above 1024 (PORT=8080) behind a reverse proxy',
    dataDirLocked: (dir: string, pid: number) => `another process (pid ${pid}) has the data folder ${dir} open`,
    dataDirLockedFix: 'stop that wa-inbox first, or set DATA_DIR to another folder',
    unexpected: (message: string) => `${message} (set LOG_LEVEL=debug to see where)`,
    unexpectedFix: 'read the message above; if it persists, report it with the output of LOG_LEVEL=debug',
    httpBaseUrl: (baseUrl: string) => `BASE_URL is ${baseUrl}: Twilio calls webhooks only over https outside localhost, so no callback or customer message will reach this server. Put it behind https (a reverse proxy) and set BASE_URL to that https URL`,
  },
  doctor: {
    fix: 'fix',
    name: {
      variables: 'variables',
      twilioVariables: 'twilio variables',
      database: 'database',
      server: 'running server',
      lastCallback: 'last callback',
      lastReconcile: 'last reconciliation',
      https: 'BASE_URL https',
      publicUrl: 'public URL',
      twilioCredentials: 'twilio credentials',
      twilioConnection: 'twilio connection',
      serviceCallback: 'service status callback',
      senderCallback: 'sender status callback',
      eventSink: 'event streams sink',
      lastEvent: 'last event streams event',
    },
    variablesOk: 'all present variables are well-formed',
    variablesFix: 'correct the variables named above (see .env.example)',
    account: (sid: string) => `account ${sid}`,
    demo: 'not set: demo mode. The server plays Twilio itself (a local Twilio in the same process); nothing reaches WhatsApp',
    httpsDemo: (url: string) => `${url}: http is fine in demo mode (the local Twilio calls back from inside the server)`,
    notHttps: (url: string) => `${url} is not https`,
    httpsFix: 'put the server behind https (a reverse proxy) and set BASE_URL to that public https URL',
    migrated: (kind: string) => `${kind} reachable and migrated`,
    notMigrated: (n: number) => (n === 1 ? 'reachable, 1 migration not applied' : `reachable, ${n} migrations not applied`),
    migrateFix: 'start the server once (it applies migrations at start)',
    lastCallback: (at: string) => `a status callback was received ${at}`,
    noCallback: 'no status callback received yet',
    noCallbackFix: 'send a message and check that Twilio reaches BASE_URL (see the checks above)',
    noCallbackDemo: 'none yet: in demo mode the local Twilio calls back once a message is sent from the panel',
    lastReconcile: (at: string, listed: number, r: { checked: number; advanced: number; gone: number; failed: number }) =>
      `${at}: ${listed} listed; ${r.checked} older re-checked at Twilio, ${r.advanced} advanced, ${r.gone} deleted at Twilio, ${r.failed} errors`,
    noReconcile: 'none yet (it runs every RECONCILE_INTERVAL seconds while the server runs)',
    inUse: (pid: number) => `in use by the running server (pid ${pid}): not opened, so as not to disturb it`,
    healthOk: (url: string) => `${url}/api/health answers: the server reaches its database`,
    healthFailed: (url: string, status: number) => `${url}/api/health answered ${status}: the server cannot reach its database`,
    healthFailedFix: "see the server's log",
    healthUnknown: (urls: string) => `could not ask its /api/health (${urls})`,
    dbUnknown: (reason: string) => `unreachable: ${reason}`,
    dbUnknownFix: 'check DATABASE_URL and that PostgreSQL runs (without DATABASE_URL, PGlite uses DATA_DIR)',
    dbRefused: (at: string) => `PostgreSQL refuses connections at ${at} (ECONNREFUSED): it is not running there`,
    dbRefusedFix: 'start PostgreSQL, or correct the host and port in DATABASE_URL',
    dbPassword: (user: string) => `PostgreSQL refused the password of user ${user} (28P01)`,
    dbPasswordFix: 'correct the user and password in DATABASE_URL',
    dbNotAllowed: (user: string) => `PostgreSQL does not accept user ${user} here: no such role, or pg_hba.conf does not allow it (28000)`,
    dbNotAllowedFix: "correct the user in DATABASE_URL (or create the role), or allow it in PostgreSQL's pg_hba.conf",
    dbMissing: (name: string, at: string) => `database "${name}" does not exist on ${at} (3D000)`,
    dbMissingFix: (name: string) => `create it (createdb ${name}, or CREATE DATABASE ${name}) or correct its name in DATABASE_URL`,
    dbHostUnknown: (host: string, code: string) => `host ${host} not found (${code})`,
    dbHostUnknownFix: 'correct the host in DATABASE_URL, or check this machine\'s DNS',
    dbTimeout: (at: string) => `no answer from ${at} (timeout)`,
    dbTimeoutFix: 'check that PostgreSQL listens on that address and that no firewall drops the port',
    pgliteFailed: (dir: string, reason: string) => `cannot open the PGlite folder ${dir}: ${reason}`,
    pgliteFix: 'check DATA_DIR, its permissions and free disk space',
    routeOk: (url: string) => `GET ${url} answers 405: the route is reachable`,
    routeStatus: (url: string, status: number) => `GET ${url} answered ${status}, expected 405`,
    routeFix404: 'BASE_URL reaches another server or path: check the proxy and BASE_URL',
    routeFix: 'check the proxy in front of wa-inbox',
    routeFailed: (url: string, reason: string) => `GET ${url} failed: ${reason}`,
    routeFailedFix: 'make BASE_URL reachable from the internet (DNS, firewall, proxy)',
    routeDemo: (url: string) => `nothing answers at ${url} (the server is not running): in demo mode nothing outside needs to reach it`,
    credentialsOk: 'Twilio accepted the credentials',
    credentialsRefused: (reason: string) => `Twilio refused the credentials: ${reason}`,
    credentialsFix: 'check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN in the Twilio console',
    network: (reason: string) => `cannot reach Twilio (a network problem, not the credentials): ${reason}`,
    networkFix: (host: string) => `check this machine's DNS and internet access to ${host} (firewall, proxy)`,
    twilioAnswered: (status: number, reason: string) => `Twilio answered ${status}: ${reason}`,
    twilioAnsweredFix: "see Twilio's error log (Console > Monitor > Errors)",
    serviceMissingFix: 'correct TWILIO_MESSAGING_SERVICE_SID (Console > Messaging > Services)',
    callbackPointsAt: (what: string, url: string | null) => `${what} → ${url ?? '(none)'}`,
    configureFix: 'run `wa-inbox configure`',
    sinkOk: (sid: string, status: string, url: string) => `${sid} ${status} → ${url}`,
    sinkNotActive: (sid: string, status: string, url: string) => `${sid} is ${status} (not active) → ${url}`,
    sinkNotActiveFix: "see Twilio's error log (Console > Monitor > Errors) for the sink's delivery errors",
    noSink: 'none points at BASE_URL (optional: it captures messages whose sender sets its own status callback)',
    noSinkHint: 'run `wa-inbox configure --event-streams` to turn it on',
    sinksUnknown: (reason: string) => `could not list the sinks: ${reason}`,
    lastEvent: (at: string, type: string) => `${type} received ${at}`,
    noEvent: 'none received yet',
  },
};

export type Messages = typeof en;

const es: Messages = {
  help: {
    main: `wa-inbox <comando> [opciones]

Comandos:
  configure   apunta el status callback y la URL de entrada de Twilio a BASE_URL (--dry-run, --event-streams)
  doctor      revisa la instalación, una línea por revisión; sale con 1 si alguna falla
  backfill    importa el historial de mensajes de Twilio (--since AAAA-MM-DD [--until AAAA-MM-DD])
  users       add | list | disable | reset-password
  export      escribe conversaciones y sus mensajes en JSON o CSV (--conversation ID | --phone +57…)

Use 'wa-inbox <comando> --help' para ver las opciones de un comando. La configuración viene del
entorno y de .env, como para el servidor. El idioma sigue WA_LANG y luego LANG (en: inglés).`,
    configure: `wa-inbox configure [--dry-run] [--event-streams]
Configura el status callback (BASE_URL/api/whatsapp/status) y la URL de entrada
(BASE_URL/api/whatsapp/incoming) en el Messaging Service (TWILIO_MESSAGING_SERVICE_SID) y en el
remitente de WhatsApp, por la API de Twilio. Muestra cada valor antes y después. Repetirlo no cambia nada.
  --event-streams   en su lugar, crea el sink webhook de Event Streams (BASE_URL/api/twilio/events,
                    con EVENT_STREAMS_USER/PASSWORD como autenticación básica si están definidas) y
                    su suscripción a los eventos de mensajería: captura también los mensajes cuyo
                    remitente define su propio status callback. Repetirlo no cambia nada.`,
    doctor: `wa-inbox doctor
Revisa las variables, la base de datos, las credenciales de Twilio, que BASE_URL sea https y
responda 405 a GET /api/whatsapp/status, que los callbacks de Twilio apunten aquí, cuándo llegó
el último y qué hizo la última reconciliación (incluidos los mensajes anteriores revisados en Twilio). En modo demo (sin credenciales de Twilio) lo que solo concierne al Twilio real es
información, no una falla. Mientras el servidor tiene abierta una carpeta PGlite, doctor le
pregunta al servidor en lugar de abrirla.`,
    backfill: `wa-inbox backfill --since AAAA-MM-DD [--until AAAA-MM-DD] [--restart]
Importa cada mensaje de la cuenta en el rango desde la lista de mensajes de Twilio, en ambas
direcciones, sin duplicar y corrigiendo estados perdidos. Retoma una ejecución interrumpida salvo con --restart.
Sin --until el rango termina ahora: si se ejecuta de nuevo más tarde, importa solo lo llegado desde entonces.`,
    users: `wa-inbox users <subcomando> [opciones]

Subcomandos:
  add              crea un usuario (--email, --name, --password, [--role agent|admin])
  list             lista los usuarios
  disable          impide que un usuario inicie sesión (--email)
  reset-password   asigna una contraseña nueva (--email, --password)

Use 'wa-inbox users <subcomando> --help' para ver sus opciones. Con PGlite (sin DATABASE_URL),
detenga primero el servidor, o administre los usuarios desde la página Usuarios del panel.`,
    export: `wa-inbox export [--conversation ID | --phone +57…] [--format json|csv] [--out ARCHIVO]
Exporta una conversación (por su id, o por el teléfono del cliente) o, sin ninguno de los dos,
todas, para la historia clínica de un paciente o para pasar a otra herramienta: cada conversación
con su contacto (teléfono, nombre, nombre de perfil de WhatsApp), y cada mensaje del más antiguo
al más reciente con su id, SID de Twilio, dirección, origen, estado, texto, SID y variables de la
plantilla, error, quién lo envió (nombre y correo), sus horas (creado, enviado, entregado, leído,
fallido) y sus archivos.
  --format json   (por defecto) un documento: { exportedAt, baseUrl, conversations: [...] }
  --format csv    una fila por mensaje con el teléfono y el nombre de la conversación; UTF-8 con
                  BOM para que Excel muestre bien las tildes
  --out ARCHIVO   escribe en ARCHIVO (solo su dueño puede leerlo); sin él, en la salida estándar
Los archivos son enlaces a BASE_URL/api/media/<id del mensaje>/<n>: solo se abren con una sesión
del panel (inicie sesión en el panel en el mismo navegador primero). Con PGlite (sin
DATABASE_URL) detenga primero el servidor: él tiene abierta DATA_DIR.`,
    'users add': `wa-inbox users add --email E --name N --password P [--role agent|admin]
Crea un usuario que puede iniciar sesión en el panel. La contraseña necesita al menos 8
caracteres; el rol es agent salvo con --role admin.`,
    'users list': `wa-inbox users list
Lista los usuarios, uno por línea: correo, nombre, rol y "deshabilitado" para quienes no pueden iniciar sesión.`,
    'users disable': `wa-inbox users disable --email E
Impide que el usuario inicie sesión y cierra sus sesiones abiertas.`,
    'users reset-password': `wa-inbox users reset-password --email E --password P
Asigna una contraseña nueva (al menos 8 caracteres) y cierra las sesiones abiertas del usuario.`,
  },
  unknownCommand: (c) => `Comando desconocido '${c}'.`,
  unknownSubcommand: (c) => `subcomando desconocido '${c}'`,
  missingSubcommand: 'falta el subcomando',
  badOption: (detail) => `opciones no reconocidas: ${detail}`,
  unknownOption: (o) => `opción desconocida '${o}'`,
  error: (m) => `error: ${m}`,
  invalidConfig: 'variables de entorno no válidas:',
  needsTwilio: 'TWILIO_ACCOUNT_SID y TWILIO_AUTH_TOKEN no están definidas: este comando habla con Twilio',
  dataDirLocked: (dir, pid, usersHint) =>
    `el servidor está funcionando sobre ${dir} (pid ${pid}): deténgalo primero${usersHint === 'add' ? ', o agregue usuarios desde la página Usuarios' : usersHint === 'manage' ? ', o hágalo desde la página Usuarios' : ''}`,
  configure: {
    nothing: 'Nada que configurar: defina TWILIO_MESSAGING_SERVICE_SID o registre un remitente de WhatsApp en Twilio.',
    none: '(ninguno)',
    wouldChange: '(cambiaría)',
    changed: '(cambiado)',
    alreadySet: '(ya estaba)',
    field: { 'status callback': 'status callback', 'inbound URL': 'URL de entrada', sink: 'webhook', 'event types': 'tipos de evento' },
  },
  backfill: {
    sinceRequired: '--since es obligatorio (p. ej. --since 2026-11-01)',
    badDate: (name) => `--${name} debe ser una fecha como 2026-11-01`,
    progress: (seen, added, updated) => `vistos ${seen}  nuevos ${added}  actualizados ${updated}`,
    resumed: (at) => `Se retomó una ejecución interrumpida desde ${at}.`,
    caughtUp: (at) => `Este rango ya se había importado: se importó lo llegado desde ${at}.`,
    done: (seen, added, updated, ignored) => `vistos ${seen}, nuevos ${added}, actualizados ${updated}, no WhatsApp ${ignored}`,
  },
  export: {
    oneOfThem: '--conversation y --phone indican una conversación cada uno: use solo uno de los dos',
    badFormat: (f) => `--format debe ser json o csv, no '${f}'`,
    badPhone: (p) => `--phone: '${p}' no es un número de teléfono como +573153369631`,
    emptyOut: '--out necesita un nombre de archivo (o - para la salida estándar)',
    cannotWrite: (file, reason) => `no se puede escribir ${file}: ${reason}`,
    noConversation: (id) => `no hay ninguna conversación con el id ${id}`,
    noPhone: (phone) => `no hay ninguna conversación con ${phone}`,
    done: (conversations, messages, file) =>
      `${conversations === 1 ? 'exportada 1 conversación' : `exportadas ${conversations} conversaciones`}, ${messages} ${messages === 1 ? 'mensaje' : 'mensajes'}, en ${file}`,
  },
  users: {
    disabled: 'deshabilitado',
    added: (email, role) => `agregado ${email} (${role})`,
    disabledUser: (email) => `deshabilitado ${email}`,
    passwordSet: (email) => `contraseña nueva asignada a ${email}`,
    noUser: (email) => `no hay ningún usuario con el correo ${email ?? '(falta --email)'}`,
    addNeeds: 'users add necesita --email, --name y --password',
    badEmail: (email) => `--email: '${email}' no es un correo electrónico`,
    badName: '--name debe tener de 1 a 100 caracteres',
    badRole: '--role debe ser agent o admin',
    shortPassword: '--password debe tener al menos 8 caracteres (y como mucho 1024)',
    passwordNeeded: 'falta --password (al menos 8 caracteres)',
  },
  startup: {
    failed: (what, fix) => `wa-inbox no pudo arrancar: ${what}. Solución: ${fix}`,
    portInUse: (port, host) => `el puerto ${port} en ${host} ya está en uso (EADDRINUSE): otro programa, u otro wa-inbox, escucha ahí`,
    portInUseFix: 'detenga ese programa, o indique un puerto libre en PORT',
    portDenied: (port) => `este usuario no puede escuchar en el puerto ${port} (EACCES)`,
    portDeniedFix: 'use un puerto mayor que 1024 (PORT=8080) detrás de un proxy inverso',
    dataDirLocked: (dir, pid) => `otro proceso (pid ${pid}) tiene abierta la carpeta de datos ${dir}`,
    dataDirLockedFix: 'detenga primero ese wa-inbox, o indique otra carpeta en DATA_DIR',
    unexpected: (message) => `${message} (con LOG_LEVEL=debug se ve dónde)`,
    unexpectedFix: 'lea el mensaje; si persiste, repórtelo con la salida de LOG_LEVEL=debug',
    httpBaseUrl: (baseUrl) => `BASE_URL es ${baseUrl}: Twilio solo llama a webhooks por https fuera de localhost, así que ningún callback ni mensaje de cliente llegará a este servidor. Póngalo detrás de https (un proxy inverso) y use esa URL https en BASE_URL`,
  },
  doctor: {
    fix: 'solución',
    name: {
      variables: 'variables',
      twilioVariables: 'variables de twilio',
      database: 'base de datos',
      server: 'servidor en marcha',
      lastCallback: 'último callback',
      lastReconcile: 'última reconciliación',
      https: 'BASE_URL https',
      publicUrl: 'URL pública',
      twilioCredentials: 'credenciales de twilio',
      twilioConnection: 'conexión con twilio',
      serviceCallback: 'status callback del servicio',
      senderCallback: 'status callback del remitente',
      eventSink: 'sink de event streams',
      lastEvent: 'último evento de event streams',
    },
    variablesOk: 'todas las variables definidas tienen un formato válido',
    variablesFix: 'corrija las variables nombradas arriba (vea .env.example)',
    account: (sid) => `cuenta ${sid}`,
    demo: 'no definidas: modo demo. El propio servidor hace de Twilio (un Twilio local en el mismo proceso); nada llega a WhatsApp',
    httpsDemo: (url) => `${url}: http sirve en modo demo (el Twilio local llama desde dentro del servidor)`,
    notHttps: (url) => `${url} no es https`,
    httpsFix: 'ponga el servidor detrás de https (un proxy inverso) y defina BASE_URL con esa URL pública https',
    migrated: (kind) => `${kind} accesible y migrada`,
    notMigrated: (n) => (n === 1 ? 'accesible, falta aplicar 1 migración' : `accesible, falta aplicar ${n} migraciones`),
    migrateFix: 'inicie el servidor una vez (aplica las migraciones al iniciar)',
    lastCallback: (at) => `se recibió un status callback el ${at}`,
    noCallback: 'aún no se ha recibido ningún status callback',
    noCallbackFix: 'envíe un mensaje y compruebe que Twilio llega a BASE_URL (vea las revisiones de arriba)',
    noCallbackDemo: 'ninguno aún: en modo demo el Twilio local llama en cuanto se envía un mensaje desde el panel',
    lastReconcile: (at, listed, r) =>
      `${at}: ${listed} listados; ${r.checked} anteriores revisados de nuevo en Twilio, ${r.advanced} avanzaron, ${r.gone} borrados en Twilio, ${r.failed} errores`,
    noReconcile: 'ninguna aún (se hace cada RECONCILE_INTERVAL segundos mientras el servidor funciona)',
    inUse: (pid) => `en uso por el servidor en marcha (pid ${pid}): no se abre, para no interferir`,
    healthOk: (url) => `${url}/api/health responde: el servidor llega a su base de datos`,
    healthFailed: (url, status) => `${url}/api/health respondió ${status}: el servidor no llega a su base de datos`,
    healthFailedFix: 'vea el registro del servidor',
    healthUnknown: (urls) => `no se pudo consultar su /api/health (${urls})`,
    dbUnknown: (reason) => `inaccesible: ${reason}`,
    dbUnknownFix: 'revise DATABASE_URL y que PostgreSQL esté funcionando (sin DATABASE_URL, PGlite usa DATA_DIR)',
    dbRefused: (at) => `PostgreSQL rechaza conexiones en ${at} (ECONNREFUSED): no está funcionando ahí`,
    dbRefusedFix: 'inicie PostgreSQL, o corrija el host y el puerto en DATABASE_URL',
    dbPassword: (user) => `PostgreSQL rechazó la contraseña del usuario ${user} (28P01)`,
    dbPasswordFix: 'corrija el usuario y la contraseña en DATABASE_URL',
    dbNotAllowed: (user) => `PostgreSQL no acepta al usuario ${user} aquí: no existe ese rol, o pg_hba.conf no lo permite (28000)`,
    dbNotAllowedFix: 'corrija el usuario en DATABASE_URL (o cree el rol), o permítalo en pg_hba.conf de PostgreSQL',
    dbMissing: (name, at) => `la base de datos "${name}" no existe en ${at} (3D000)`,
    dbMissingFix: (name) => `créela (createdb ${name}, o CREATE DATABASE ${name}) o corrija su nombre en DATABASE_URL`,
    dbHostUnknown: (host, code) => `no se encuentra el host ${host} (${code})`,
    dbHostUnknownFix: 'corrija el host en DATABASE_URL, o revise el DNS de esta máquina',
    dbTimeout: (at) => `${at} no responde (tiempo agotado)`,
    dbTimeoutFix: 'compruebe que PostgreSQL escucha en esa dirección y que ningún firewall bloquea el puerto',
    pgliteFailed: (dir, reason) => `no se puede abrir la carpeta PGlite ${dir}: ${reason}`,
    pgliteFix: 'revise DATA_DIR, sus permisos y el espacio libre en disco',
    routeOk: (url) => `GET ${url} responde 405: la ruta es accesible`,
    routeStatus: (url, status) => `GET ${url} respondió ${status}, se esperaba 405`,
    routeFix404: 'BASE_URL llega a otro servidor o a otra ruta: revise el proxy y BASE_URL',
    routeFix: 'revise el proxy que está delante de wa-inbox',
    routeFailed: (url, reason) => `GET ${url} falló: ${reason}`,
    routeFailedFix: 'haga que BASE_URL sea accesible desde internet (DNS, firewall, proxy)',
    routeDemo: (url) => `nada responde en ${url} (el servidor no está funcionando): en modo demo nada de fuera necesita llegar a él`,
    credentialsOk: 'Twilio aceptó las credenciales',
    credentialsRefused: (reason) => `Twilio rechazó las credenciales: ${reason}`,
    credentialsFix: 'revise TWILIO_ACCOUNT_SID y TWILIO_AUTH_TOKEN en la consola de Twilio',
    network: (reason) => `no se llega a Twilio (un problema de red, no de credenciales): ${reason}`,
    networkFix: (host) => `revise el DNS de esta máquina y su acceso a internet hacia ${host} (firewall, proxy)`,
    twilioAnswered: (status, reason) => `Twilio respondió ${status}: ${reason}`,
    twilioAnsweredFix: 'vea el registro de errores de Twilio (Console > Monitor > Errors)',
    serviceMissingFix: 'corrija TWILIO_MESSAGING_SERVICE_SID (Console > Messaging > Services)',
    callbackPointsAt: (what, url) => `${what} → ${url ?? '(ninguno)'}`,
    configureFix: 'ejecute `wa-inbox configure`',
    sinkOk: (sid, status, url) => `${sid} ${status} → ${url}`,
    sinkNotActive: (sid, status, url) => `${sid} está ${status} (no activo) → ${url}`,
    sinkNotActiveFix: 'vea el registro de errores de Twilio (Console > Monitor > Errors) para los errores de entrega del sink',
    noSink: 'ninguno apunta a BASE_URL (opcional: captura los mensajes cuyo remitente define su propio status callback)',
    noSinkHint: 'ejecute `wa-inbox configure --event-streams` para activarlo',
    sinksUnknown: (reason) => `no se pudieron listar los sinks: ${reason}`,
    lastEvent: (at, type) => `${type} recibido ${at}`,
    noEvent: 'ninguno recibido todavía',
  },
};

export const messagesFor = (env: NodeJS.ProcessEnv): Messages => (cliLanguage(env) === 'es' ? es : en);
