/** @stripe402/protocol: the stripe402 wire format, defined once. Isomorphic: no Node-only APIs. */
export {
  DEFAULT_MAX_HEADER_BYTES,
  EXTENSIONS,
  HEADERS,
  MAX_JSON_DEPTH,
  MAX_UNITS,
  ORIGIN_BINDING,
  STRIPE402_VERSION,
} from './constants'
export {
  ERROR_HTTP_STATUS,
  EXTENSION_ERROR_CODES,
  isKnownErrorCode,
  type PaymentErrorCode,
  PaymentErrorCodeSchema,
  Stripe402Error,
  V1_ERROR_CODES,
} from './errors'
export {
  type PaymentPayload,
  PaymentPayloadSchema,
  type PaymentRequired,
  PaymentRequiredSchema,
  type PaymentRequirements,
  PaymentRequirementsSchema,
  type PaymentResponse,
  PaymentResponseSchema,
  type ResourceInfo,
  ResourceInfoSchema,
} from './schemas'
export {
  type DecodeOptions,
  decodeHeader,
  decodePaymentPayload,
  decodePaymentRequired,
  decodePaymentResponse,
  encodeHeader,
  encodePaymentPayload,
  encodePaymentRequired,
  encodePaymentResponse,
} from './codec'
export { base64DecodeUtf8, base64EncodeUtf8 } from './base64'
export { parseJsonSafely, type SafeJsonResult } from './json'
export {
  chargeableUnits,
  currencyDecimals,
  formatUnits,
  isSupportedCurrency,
  minimumTopUpUnits,
  minorToUnits,
  STRIPE_MINIMUM_CHARGE_MINOR,
  THREE_DECIMAL_CURRENCIES,
  UNITS_PER_MAJOR,
  unitsToMinor,
  ZERO_DECIMAL_CURRENCIES,
} from './units'
export {
  OPENAPI_PRICING_EXTENSION,
  type OpenApiPricingExtension,
  paymentHeader,
  paymentHeaderParameter,
  paymentRequiredResponse,
  paymentResponseHeader,
  pricingExtension,
  stripe402SchemaComponents,
} from './openapi'
export {
  type DiscoveryDocument,
  DiscoveryDocumentSchema,
  type DiscoveryRoute,
  DiscoveryRouteSchema,
  type RoutePricing,
  RoutePricingSchema,
  WELL_KNOWN_PATH,
} from './discovery'
export {
  type JsonSchema,
  type JsonSchemaName,
  stripe402JsonSchemas,
  toJsonSchema,
} from './json-schema'
