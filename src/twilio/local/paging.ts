// Twilio's two paging envelopes. twilio-node's Page.getNextPageUrl reads `meta.next_page_url`
// (v1/v2 APIs, absolute URL) or else `next_page_uri` (2010 API, relative to api.twilio.com), and
// stops when it is null. Records are found by `meta.key` or, in the 2010 API, by the one key that
// is not a paging field (`messages`).

const MAX_PAGE_SIZE = 1000;

interface PageWindow<T> {
  page: number;
  pageSize: number;
  start: number;
  items: T[];
  hasNext: boolean;
}

/**
 * Picks one page. Like Twilio, the next page is addressed by a cursor (PageToken=PA<sid of the
 * last record shown>), so records created while a client pages (new messages go to the front)
 * neither repeat nor get skipped; PB<sid> is the page before a record. Without a known token the
 * page is Page × PageSize.
 */
function pageWindow<T extends { sid: string }>(all: T[], q: URLSearchParams): PageWindow<T> {
  const requested = Number(q.get('PageSize') ?? 50);
  const pageSize = Number.isInteger(requested) && requested > 0 ? Math.min(requested, MAX_PAGE_SIZE) : 50;
  const page = Math.max(Number.parseInt(q.get('Page') ?? '0', 10) || 0, 0);
  const token = q.get('PageToken') ?? '';
  const anchor = token.length > 2 ? all.findIndex((x) => x.sid === token.slice(2)) : -1;
  let start = page * pageSize;
  if (anchor >= 0 && token.startsWith('PA')) start = anchor + 1;
  if (anchor >= 0 && token.startsWith('PB')) start = Math.max(anchor - pageSize, 0);
  const end = anchor >= 0 && token.startsWith('PB') ? anchor : start + pageSize;
  return { page, pageSize, start, items: all.slice(start, end), hasNext: end < all.length };
}

/** Builds the query of a sibling page: the filters the client sent, PageSize, Page, PageToken. */
function pageQuery(filters: URLSearchParams, pageSize: number, page: number, token: string | null) {
  const q = new URLSearchParams(filters);
  q.set('PageSize', String(pageSize));
  q.set('Page', String(page));
  if (token) q.set('PageToken', token);
  return q.toString();
}

/**
 * The 2010 API's envelope (`Messages.json`): records under `key`, paging URIs relative to
 * api.twilio.com, plus page/page_size/start/end.
 */
export function v2010Page<T extends { sid: string }, R>(key: string, all: T[], q: URLSearchParams, path: string, filters: URLSearchParams, render: (x: T) => R) {
  const w = pageWindow(all, q);
  const uri = (page: number, token: string | null) => `${path}?${pageQuery(filters, w.pageSize, page, token)}`;
  const first = w.items[0];
  const last = w.items[w.items.length - 1];
  return {
    [key]: w.items.map(render),
    end: w.start + Math.max(w.items.length - 1, 0),
    first_page_uri: uri(0, null),
    next_page_uri: w.hasNext && last ? uri(w.page + 1, `PA${last.sid}`) : null,
    page: w.page,
    page_size: w.pageSize,
    previous_page_uri: w.start > 0 && first ? uri(Math.max(w.page - 1, 0), `PB${first.sid}`) : null,
    start: w.start,
    uri: uri(w.page, q.get('PageToken')),
  };
}

/** The v1/v2 envelope (Content, Senders): records under `key`, absolute URLs in `meta`. */
export function metaPage<T extends { sid: string }, R>(key: string, all: T[], q: URLSearchParams, url: string, filters: URLSearchParams, render: (x: T) => R) {
  const w = pageWindow(all, q);
  const at = (page: number, token: string | null) => `${url}?${pageQuery(filters, w.pageSize, page, token)}`;
  const first = w.items[0];
  const last = w.items[w.items.length - 1];
  return {
    [key]: w.items.map(render),
    meta: {
      page: w.page,
      page_size: w.pageSize,
      first_page_url: at(0, null),
      previous_page_url: w.start > 0 && first ? at(Math.max(w.page - 1, 0), `PB${first.sid}`) : null,
      url: at(w.page, q.get('PageToken')),
      next_page_url: w.hasNext && last ? at(w.page + 1, `PA${last.sid}`) : null,
      key,
    },
  };
}
