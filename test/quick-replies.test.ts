import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ApiError, AuditEntryDto, PageDto, QuickReplyDto, UserDto } from '../src/contract/api.ts';
import { fillQuickReply, matchQuickReplies, slashQueryAt } from '../web/src/chat/quickReplyText.ts';
import { databaseKinds } from './support/databases.ts';
import { callApi, connectPanelSocket, newSid, skipTwoInstances, startTestInbox, twoInstances, waitFor, type TestInbox, type TestSession } from './support/inbox.ts';

const HORARIO = 'Hola {{nombre}}, atendemos de 7 a 5';

for (const kind of databaseKinds()) {
  describe(`quick replies (${kind})`, () => {
    let inbox: TestInbox;
    let admin: TestSession;
    let agent: TestSession;
    let adminId: string;

    const call = <T>(s: TestSession, method: string, path: string, body?: unknown) => callApi<T>(inbox.baseUrl, s, method, path, body);
    const list = async (s: TestSession = agent) => {
      const r = await call<{ items: QuickReplyDto[] }>(s, 'GET', '/api/quick-replies');
      assert.equal(r.status, 200);
      return r.json.items;
    };
    const auditRows = async () => (await call<PageDto<AuditEntryDto>>(admin, 'GET', '/api/audit?limit=200')).json.items.filter((e) => e.action.startsWith('quickReply.'));
    const create = async (shortcut: string, body: string) => {
      const r = await call<QuickReplyDto>(admin, 'POST', '/api/quick-replies', { shortcut, body });
      assert.equal(r.status, 201, JSON.stringify(r.json));
      return r.json;
    };

    before(async () => {
      inbox = await startTestInbox({ kind, startWorkers: false });
      admin = await inbox.login();
      adminId = (await call<{ user: UserDto }>(admin, 'GET', '/api/auth/me')).json.user.id;
      assert.equal((await call(admin, 'POST', '/api/users', { email: 'ana@clinica.test', name: 'Ana', password: 'a-long-enough-password', role: 'agent' })).status, 201);
      agent = await inbox.login('ana@clinica.test', 'a-long-enough-password');
    });
    after(() => inbox.close());

    test('an admin creates, edits and deletes; everyone reads the list sorted by shortcut; each change is audited and live', async () => {
      const socket = await inbox.connectSocket(agent.cookie);
      const changes: { action: string; id: string }[] = [];
      socket.on('quickReplies:changed', (c) => changes.push(c));
      assert.deepEqual(await list(), []);

      const horario = await create('/Horario', HORARIO);
      assert.equal(horario.shortcut, 'horario', 'stored without the slash, lowercase');
      assert.equal(horario.body, HORARIO);
      assert.deepEqual(horario.updatedBy, { id: adminId, name: 'Admin' });
      assert.match(horario.createdAt, /^\d{4}-\d\d-\d\dT/);
      // Typed with a combining accent (as some keyboards send it): stored composed.
      const cotizacion = await create('cotizacio\u0301n', 'Le enviamos la cotización hoy.');
      assert.equal(cotizacion.shortcut, 'cotización');
      await create('a-b_1', 'Otro');
      assert.deepEqual((await list()).map((r) => r.shortcut), ['a-b_1', 'cotización', 'horario']);
      await waitFor(() => changes.length === 3, 'three change events');
      assert.deepEqual(changes.map((c) => c.action), ['create', 'create', 'create']);
      assert.equal(changes[0]!.id, horario.id);

      const edited = await call<QuickReplyDto>(admin, 'PATCH', `/api/quick-replies/${horario.id}`, { shortcut: 'Horarios', body: 'Atendemos de 7 a 5, {{nombre}}.' });
      assert.equal(edited.status, 200);
      assert.equal(edited.json.shortcut, 'horarios');
      assert.equal(edited.json.body, 'Atendemos de 7 a 5, {{nombre}}.');
      assert.ok(edited.json.updatedAt >= horario.updatedAt);
      const bodyOnly = await call<QuickReplyDto>(admin, 'PATCH', `/api/quick-replies/${horario.id}`, { body: HORARIO });
      assert.equal(bodyOnly.json.shortcut, 'horarios', 'a body-only patch keeps the shortcut');
      assert.equal(bodyOnly.json.body, HORARIO);

      const deleted = await fetch(`${inbox.baseUrl}/api/quick-replies/${cotizacion.id}`, { method: 'DELETE', headers: admin.headers });
      assert.equal(deleted.status, 204);
      assert.deepEqual((await list()).map((r) => r.shortcut), ['a-b_1', 'horarios']);
      await waitFor(() => changes.length === 6, 'update, update and delete events');
      assert.deepEqual(changes.slice(3), [
        { action: 'update', id: horario.id }, { action: 'update', id: horario.id }, { action: 'delete', id: cotizacion.id },
      ]);

      const audit = (await auditRows()).reverse().map((e) => [e.action, e.actor?.id, e.target, e.details]);
      assert.deepEqual(audit.slice(0, 6), [
        ['quickReply.create', adminId, horario.id, { shortcut: 'horario' }],
        ['quickReply.create', adminId, cotizacion.id, { shortcut: 'cotización' }],
        ['quickReply.create', adminId, audit[2]![2], { shortcut: 'a-b_1' }],
        ['quickReply.update', adminId, horario.id, { shortcut: 'horarios', from: 'horario', bodyChanged: true }],
        ['quickReply.update', adminId, horario.id, { shortcut: 'horarios', bodyChanged: true }],
        ['quickReply.delete', adminId, cotizacion.id, { shortcut: 'cotización' }],
      ]);
      socket.close();
      for (const r of await list()) await call(admin, 'DELETE', `/api/quick-replies/${r.id}`);
    });

    test('an agent reads but cannot write (403); nothing changes', async () => {
      const mine = await create('saludo', 'Buenos días');
      const before = await auditRows();
      for (const [method, path, body] of [
        ['POST', '/api/quick-replies', { shortcut: 'nuevo', body: 'x' }],
        ['PATCH', `/api/quick-replies/${mine.id}`, { body: 'cambiado' }],
        ['DELETE', `/api/quick-replies/${mine.id}`, undefined],
      ] as const) {
        const r = await call<ApiError>(agent, method, path, body);
        assert.equal(r.status, 403, `${method} ${path}`);
      }
      assert.deepEqual(await list(), [mine]);
      assert.equal((await auditRows()).length, before.length);
      await call(admin, 'DELETE', `/api/quick-replies/${mine.id}`);
    });

    test('a taken shortcut is 409 conflict (whatever its slash and case), on create and on rename; nothing changes', async () => {
      const horario = await create('horario', HORARIO);
      const otro = await create('otro', 'Otro texto');
      const before = await auditRows();
      for (const shortcut of ['horario', '/horario', '/Horario', 'HORARIO', ' /horario ']) {
        const r = await call<ApiError>(admin, 'POST', '/api/quick-replies', { shortcut, body: 'duplicado' });
        assert.equal(r.status, 409, shortcut);
        assert.equal(r.json.error.code, 'conflict');
        assert.match(r.json.error.messageEs, /Ya existe una respuesta rápida con el atajo \/horario/);
      }
      const rename = await call<ApiError>(admin, 'PATCH', `/api/quick-replies/${otro.id}`, { shortcut: '/HORARIO', body: 'cambiado' });
      assert.equal(rename.status, 409);
      assert.equal(rename.json.error.code, 'conflict');
      assert.deepEqual(await list(), [horario, otro], 'neither the list nor the renamed reply changed');
      assert.equal((await auditRows()).length, before.length, 'no audit row');
      // Racing writers: the unique index decides, so exactly one wins.
      const racing = await Promise.all(['/Carrera', 'carrera', 'CARRERA', '/carrera', 'Carrera'].map((shortcut) =>
        call<QuickReplyDto | ApiError>(admin, 'POST', '/api/quick-replies', { shortcut, body: 'a la vez' })));
      assert.deepEqual(racing.map((r) => r.status).sort(), [201, 409, 409, 409, 409]);
      assert.equal((await list()).filter((r) => r.shortcut === 'carrera').length, 1);
      assert.equal((await auditRows()).length, before.length + 1, 'one audit row, for the winner');
      // Renaming a reply to its own shortcut is no conflict.
      assert.equal((await call(admin, 'PATCH', `/api/quick-replies/${horario.id}`, { shortcut: '/Horario' })).status, 200);
      for (const r of await list()) await call(admin, 'DELETE', `/api/quick-replies/${r.id}`);
    });

    test('bad input is 400 validation and an unknown id 404; nothing changes', async () => {
      const horario = await create('horario', HORARIO);
      const before = await auditRows();
      const bad: unknown[] = [
        {}, { shortcut: 'x' }, { body: 'x' }, { shortcut: '', body: 'x' }, { shortcut: '/', body: 'x' }, { shortcut: 'con espacio', body: 'x' },
        { shortcut: 'a'.repeat(33), body: 'x' }, { shortcut: 'punto.', body: 'x' }, { shortcut: '//doble', body: 'x' }, { shortcut: 7, body: 'x' },
        { shortcut: 'ok', body: '' }, { shortcut: 'ok', body: '   ' }, { shortcut: 'ok', body: 'x'.repeat(4097) }, { shortcut: 'ok', body: 'x', extra: 1 },
        null, 'texto',
      ];
      for (const body of bad) {
        const r = await call<ApiError>(admin, 'POST', '/api/quick-replies', body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.json.error.code, 'validation', JSON.stringify(body));
      }
      for (const body of [{}, { shortcut: 'con espacio' }, { body: '' }, { color: 'red' }, { shortcut: 'ok', role: 'admin' }]) {
        const r = await call<ApiError>(admin, 'PATCH', `/api/quick-replies/${horario.id}`, body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.json.error.code, 'validation');
      }
      assert.equal((await call(admin, 'POST', '/api/quick-replies', { shortcut: 'a'.repeat(32), body: 'x'.repeat(4096) })).status, 201, 'the limits themselves are fine');
      for (const id of ['00000000-0000-4000-8000-000000000000', 'nope']) {
        const patch = await call<ApiError>(admin, 'PATCH', `/api/quick-replies/${id}`, { body: 'x' });
        assert.equal(patch.status, 404);
        assert.equal(patch.json.error.code, 'not_found');
        assert.equal((await call<ApiError>(admin, 'DELETE', `/api/quick-replies/${id}`)).status, 404);
      }
      const items = await list();
      assert.deepEqual(items.find((r) => r.id === horario.id), horario);
      assert.equal(items.length, 2);
      assert.equal((await auditRows()).length, before.length + 1, 'only the valid create was audited');
    });

    test('signed out is 401; a write without the session\'s CSRF token is 403 and a form body 415; nothing changes', async () => {
      assert.equal((await fetch(`${inbox.baseUrl}/api/quick-replies`)).status, 401);
      const before = await list();
      const auditBefore = await auditRows();
      const target = before[0]!;
      const json = { 'content-type': 'application/json' };
      for (const [method, path, body] of [
        ['POST', '/api/quick-replies', JSON.stringify({ shortcut: 'forjado', body: 'x' })],
        ['PATCH', `/api/quick-replies/${target.id}`, JSON.stringify({ body: 'forjado' })],
        ['DELETE', `/api/quick-replies/${target.id}`, undefined],
      ] as const) {
        const r = await fetch(inbox.baseUrl + path, { method, headers: { cookie: admin.cookie, ...(body ? json : {}) }, body });
        assert.equal(r.status, 403, `${method} without the token`);
        assert.equal(((await r.json()) as ApiError).error.code, 'csrf');
      }
      const form = await fetch(`${inbox.baseUrl}/api/quick-replies`, {
        method: 'POST', headers: { ...admin.headers, 'content-type': 'application/x-www-form-urlencoded' }, body: 'shortcut=form&body=x',
      });
      assert.equal(form.status, 415);
      assert.deepEqual(await list(), before);
      assert.equal((await auditRows()).length, auditBefore.length);
    });
  });
}

describe('filling and finding quick replies in the composer', () => {
  test('{{nombre}} is filled with the name, or removed cleanly without one', () => {
    assert.equal(fillQuickReply(HORARIO, 'María José'), 'Hola María José, atendemos de 7 a 5');
    assert.equal(fillQuickReply(HORARIO, null), 'Hola, atendemos de 7 a 5');
    assert.equal(fillQuickReply(HORARIO, '  '), 'Hola, atendemos de 7 a 5');
    assert.equal(fillQuickReply('{{nombre}}, bienvenido. Adiós {{ Nombre }}.', null), 'Bienvenido. Adiós.');
    assert.equal(fillQuickReply('{{nombre}}, bienvenido. Adiós {{ Nombre }}.', 'Ana'), 'Ana, bienvenido. Adiós Ana.');
    assert.equal(fillQuickReply('Sin nombre', 'Ana'), 'Sin nombre');
    assert.equal(fillQuickReply('Hola {{nombre}}', '$& $1'), 'Hola $& $1', 'the name is text, never a replacement pattern');
    for (const name of [null, 'Ana']) assert.doesNotMatch(fillQuickReply('Hola {{nombre}}\n{{nombre}}', name), /\{\{/);
  });

  test('the slash query at the caret: at the start or after whitespace only', () => {
    assert.deepEqual(slashQueryAt('/hor', 4), { start: 0, query: 'hor' });
    assert.deepEqual(slashQueryAt('Buenas /', 8), { start: 7, query: '' });
    assert.deepEqual(slashQueryAt('a\n/cot más', 6), { start: 2, query: 'cot' });
    assert.equal(slashQueryAt('http://x', 8), null);
    assert.equal(slashQueryAt('1/2', 3), null);
    assert.equal(slashQueryAt('/hor a', 6), null, 'a space ends the query');
  });

  test('matching is by shortcut or text, accent- and case-insensitive, shortcut matches first', () => {
    const r = (shortcut: string, body: string) => ({ id: shortcut, shortcut, body, createdAt: '', updatedAt: '', updatedBy: null });
    const all = [r('cotización', 'Le enviamos el precio'), r('horario', 'Atendemos de 7 a 5'), r('precio', 'La cotizacion sale en un día')];
    assert.deepEqual(matchQuickReplies(all, 'COTIZA').map((x) => x.shortcut), ['cotización', 'precio']);
    assert.deepEqual(matchQuickReplies(all, 'precio').map((x) => x.shortcut), ['precio', 'cotización']);
    assert.deepEqual(matchQuickReplies(all, '').map((x) => x.shortcut), ['cotización', 'horario', 'precio']);
    assert.deepEqual(matchQuickReplies(all, 'zzz'), []);
  });
});


// Behind a load balancer: a reply an admin adds on instance A reaches a panel connected to B.
describe('quick replies across two instances', { skip: skipTwoInstances }, () => {
  const instances = twoInstances('quick');

  test('created on A: a panel on B is told, and B lists it', async () => {
    const [a, b] = [instances.a(), instances.b()];
    const s = await a.login();
    const socket = await connectPanelSocket(b.url, s.cookie);
    const changes: { action: string; id: string }[] = [];
    socket.on('quickReplies:changed', (c) => changes.push(c));
    const res = await fetch(`${a.baseUrl}/api/quick-replies`, {
      method: 'POST', headers: { ...s.headers, 'content-type': 'application/json' }, body: JSON.stringify({ shortcut: '/horario', body: HORARIO }),
    });
    assert.equal(res.status, 201);
    const created = (await res.json()) as QuickReplyDto;
    await waitFor(() => changes.length === 1, 'the change event on B', 10_000);
    assert.deepEqual(changes, [{ action: 'create', id: created.id }]);
    const onB = (await (await fetch(`${b.url}/api/quick-replies`, { headers: s.headers })).json()) as { items: QuickReplyDto[] };
    assert.deepEqual(onB.items.map((r) => r.shortcut), ['horario']);
    socket.close();
  });
});
