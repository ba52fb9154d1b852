/** Where the service keeps its books unless told otherwise (kept apart from database.ts so the CLI loads no driver to show its help). */
export const DEFAULT_DATABASE_URL = 'sqlite:var/lodestone.db';
