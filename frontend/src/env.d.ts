// Build-time constants injected by frontend/vite.config.ts (`define`).

/** Base URL of the CustomerSignal API; empty string means same origin. From VITE_API_URL. */
declare const __CS_API_URL__: string;
