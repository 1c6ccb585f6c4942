/**
 * Mesos v1 JSON building blocks (`mesos.v1` package), as zod schemas with types inferred from them.
 *
 * Encoding follows Mesos's own JSON converter rather than proto3 JSON: snake_case field names, enums
 * as names, bytes as base64 strings, unknown keys dropped, `null` meaning "unset" (nulls are removed
 * by `dropNulls` before parsing), and numeric strings accepted wherever a number is expected.
 */
import { z } from 'zod';

const numericString = z
  .string()
  .regex(/^\s*-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$|^-?Infinity$/, 'expected a number')
  .transform(Number);

/** A JSON number, or a string holding one (Mesos accepts both). */
export const num = z.union([z.number(), numericString]);
/**
 * An integer. Not zod's `.int()`, which refuses values beyond 2^53: nanosecond timestamps
 * (`TimeInfo.nanoseconds`, about 1.8e18 today) are that large, and losing their last digits is fine.
 */
const integer = z.number().refine(Number.isInteger, 'expected an integer');
export const int = z.union([integer, numericString.pipe(integer)]);
const boolString = z.enum(['true', 'false']).transform((s) => s === 'true');
export const bool = z.union([z.boolean(), boolString]);

export const IdSchema = z.object({ value: z.string().min(1, 'must not be empty') });
export type Id = z.infer<typeof IdSchema>;

export const LabelsSchema = z.object({
  labels: z.array(z.object({ key: z.string(), value: z.string().optional() })).default([]),
});
export type Labels = z.infer<typeof LabelsSchema>;

export const DurationInfoSchema = z.object({ nanoseconds: int });
export type DurationInfo = z.infer<typeof DurationInfoSchema>;
export const TimeInfoSchema = DurationInfoSchema;

export const RangeSchema = z.object({ begin: int, end: int });
export const RangesSchema = z.object({ range: z.array(RangeSchema).default([]) });
export const ScalarSchema = z.object({ value: num });
export const SetSchema = z.object({ item: z.array(z.string()).default([]) });
export const TextSchema = z.object({ value: z.string() });

export const AttributeSchema = z.object({
  name: z.string().min(1),
  type: z.enum(['SCALAR', 'RANGES', 'SET', 'TEXT']),
  scalar: ScalarSchema.optional(),
  ranges: RangesSchema.optional(),
  set: SetSchema.optional(),
  text: TextSchema.optional(),
});
export type Attribute = z.infer<typeof AttributeSchema>;

export const ReservationInfoSchema = z.object({
  type: z.enum(['UNKNOWN', 'STATIC', 'DYNAMIC']).optional(),
  role: z.string().optional(),
  principal: z.string().optional(),
  labels: LabelsSchema.optional(),
});

export const ResourceSchema = z.object({
  name: z.string().min(1),
  type: z.enum(['SCALAR', 'RANGES', 'SET']),
  scalar: ScalarSchema.optional(),
  ranges: RangesSchema.optional(),
  set: SetSchema.optional(),
  /** Deprecated pre-refinement reservation role; `*` means unreserved. */
  role: z.string().optional(),
  reservation: z.object({ principal: z.string().optional(), labels: LabelsSchema.optional() }).optional(),
  reservations: z.array(ReservationInfoSchema).optional(),
  allocation_info: z.object({ role: z.string().optional() }).optional(),
  revocable: z.object({}).optional(),
  shared: z.object({}).optional(),
});
export type Resource = z.infer<typeof ResourceSchema>;

export const AddressSchema = z.object({
  hostname: z.string().optional(),
  ip: z.string().optional(),
  port: int,
});
export type Address = z.infer<typeof AddressSchema>;

export const UrlSchema = z.object({
  scheme: z.string(),
  address: AddressSchema,
  path: z.string().optional(),
});
export type Url = z.infer<typeof UrlSchema>;
