import { describe, expect, it } from 'vitest'
import * as api from './index'

describe('public API', () => {
  // Other packages import these names: removing or renaming one is a breaking change.
  it('exports exactly these runtime names', () => {
    expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
      [
        "DEFAULT_MAX_HEADER_BYTES",
        "DiscoveryDocumentSchema",
        "DiscoveryRouteSchema",
        "ERROR_HTTP_STATUS",
        "EXTENSIONS",
        "EXTENSION_ERROR_CODES",
        "HEADERS",
        "MAX_JSON_DEPTH",
        "MAX_UNITS",
        "OPENAPI_PRICING_EXTENSION",
        "PaymentErrorCodeSchema",
        "PaymentPayloadSchema",
        "PaymentRequiredSchema",
        "PaymentRequirementsSchema",
        "PaymentResponseSchema",
        "ResourceInfoSchema",
        "RoutePricingSchema",
        "STRIPE402_VERSION",
        "STRIPE_MINIMUM_CHARGE_MINOR",
        "Stripe402Error",
        "THREE_DECIMAL_CURRENCIES",
        "UNITS_PER_MAJOR",
        "V1_ERROR_CODES",
        "WELL_KNOWN_PATH",
        "ZERO_DECIMAL_CURRENCIES",
        "base64DecodeUtf8",
        "base64EncodeUtf8",
        "chargeableUnits",
        "currencyDecimals",
        "decodeHeader",
        "decodePaymentPayload",
        "decodePaymentRequired",
        "decodePaymentResponse",
        "encodeHeader",
        "encodePaymentPayload",
        "encodePaymentRequired",
        "encodePaymentResponse",
        "formatUnits",
        "isKnownErrorCode",
        "isSupportedCurrency",
        "minimumTopUpUnits",
        "minorToUnits",
        "parseJsonSafely",
        "paymentHeader",
        "paymentHeaderParameter",
        "paymentRequiredResponse",
        "paymentResponseHeader",
        "pricingExtension",
        "stripe402JsonSchemas",
        "stripe402SchemaComponents",
        "toJsonSchema",
        "unitsToMinor",
      ]
    `)
  })
})
