import { z } from 'zod';

/** A non-negative integer count (zod's plain `.int()` documents `minimum: -9007199254740991`). */
export const countSchema = () => z.number().int().nonnegative();
