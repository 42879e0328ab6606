// What the pages share after sign-in.

import type { Api } from "./api";
import type { Role } from "./roles";

/** The API, the user's role on the handle (null when it could not be read: then no control
 * is shown) and the campaign the Email rules link opens (null: the page asks for one). */
export interface Session {
  api: Api;
  role: Role | null;
  campaignId: string | null;
}
