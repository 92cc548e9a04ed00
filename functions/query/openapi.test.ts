import { OPENAPI } from './openapi';
import { HTTP_ROUTES } from '../routes';

describe('the OpenAPI document', () => {
  it('describes exactly the routes the API serves', () => {
    const documented = Object.entries(OPENAPI.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(Object.keys(HTTP_ROUTES).sort());
  });
});
