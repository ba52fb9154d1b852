/** Field types shared by the scenario format and its risks section (zod, with the descriptions the JSON Schema shows). */
import { z } from 'zod';

export const regionCode = z
  .string()
  .regex(/^[A-Za-z0-9_]+$/, 'must be a region code such as USA, EU27 or ROW')
  .describe('Region code (ISO 3166-1 alpha-3, or an aggregate such as EU27, ROW)');
export const commodityId = z
  .string()
  .regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, "must be a commodity id such as 'ndpr/oxide'")
  .describe("Commodity id 'mineral/stage', as in data/commodities.csv");
export const calendarYear = z.number().int().min(1990).max(2100).describe('Calendar year');
