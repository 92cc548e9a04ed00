// The accounts routes of the query function (docs/api.md#accounts); spread into QUERY_ROUTES.
import type { Route } from '../http/router';
import { changePassword, login, logout, me, signup } from './accounts';

export const AUTH_ROUTES = {
  'POST /v1/auth/signup': { auth: 'public', handle: signup },
  'POST /v1/auth/login': { auth: 'public', handle: login },
  'POST /v1/auth/logout': { auth: 'session', handle: logout },
  'POST /v1/auth/password': { auth: 'session', handle: changePassword },
  'GET /v1/me': { auth: 'session', handle: me },
} as const satisfies Record<string, Route>;
