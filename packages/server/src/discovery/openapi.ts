/** An OpenAPI 3.1 fragment describing every paid operation: its payment header, 402 response and price. */
import {
  HEADERS,
  OPENAPI_PRICING_EXTENSION,
  type OpenApiPricingExtension,
  paymentHeader,
  paymentRequiredResponse,
  paymentResponseHeader,
  stripe402SchemaComponents,
} from '@stripe402/protocol'
import type {
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  PathItemObject,
} from 'openapi3-ts/oas31'
import type { ResolvedConfig } from '../config/resolve'
import type { RoutePattern } from '../routes/pattern'

/** A route without a method is priced for each of these (HEAD and OPTIONS are implied by HTTP). */
const ANY_METHOD = ['get', 'post', 'put', 'patch', 'delete'] as const
type Method = (typeof ANY_METHOD)[number] | 'head'

/** Merge it into an app's own document (`paths` and `components.schemas`), or serve it as is. */
export function openApiDocument(config: ResolvedConfig): OpenAPIObject {
  const paths: Record<string, PathItemObject> = {}
  for (const { pattern, value: route } of config.routes.declared) {
    const { path, parameters } = openApiPath(pattern)
    const pricing: OpenApiPricingExtension = {
      amount: typeof route.amount === 'number' ? route.amount : 'dynamic',
      currency: route.currency,
      minTopUp: route.minTopUp,
      ...(route.maxTopUp !== undefined && { maxTopUp: route.maxTopUp }),
      ...(route.description !== undefined && { description: route.description }),
    }
    const operation: OperationObject = {
      ...(route.description !== undefined && { summary: route.description }),
      description: `Paid with stripe402: ${pricing.amount === 'dynamic' ? 'a price computed per request' : `${pricing.amount} units`} (${route.currency}; 1 unit = 1/10,000 of the major unit) per call.`,
      parameters: [
        ...parameters,
        { name: HEADERS.PAYMENT, in: 'header', required: false, ...paymentHeader() },
      ],
      responses: {
        '200': {
          description: 'Paid response.',
          headers: { [HEADERS.PAYMENT_RESPONSE]: paymentResponseHeader() },
          ...(route.mimeType !== undefined && { content: { [route.mimeType]: {} } }),
        },
        '402': paymentRequiredResponse(),
      },
      [OPENAPI_PRICING_EXTENSION]: pricing,
    }
    const methods: readonly Method[] = pattern.method
      ? [pattern.method.toLowerCase() as Method]
      : ANY_METHOD
    const item = paths[path] ?? {}
    paths[path] = item
    for (const method of methods) item[method] = operation
  }
  return {
    openapi: '3.1.0',
    info: { title: 'stripe402 paid operations', version: '1' },
    paths,
    components: { schemas: stripe402SchemaComponents() },
  }
}

/** `/users/:id` → `/users/{id}`; a trailing `*` becomes a `{path}` parameter holding the rest. */
function openApiPath(pattern: RoutePattern): { path: string; parameters: ParameterObject[] } {
  const parameters: ParameterObject[] = []
  const parts = pattern.path
    .split('/')
    .filter(Boolean)
    .map((part) => {
      if (part === '*') {
        parameters.push({
          name: 'path',
          in: 'path',
          required: true,
          description: 'Any sub-path: every path under this prefix is priced the same.',
          schema: { type: 'string' },
        })
        return '{path}'
      }
      if (part.startsWith(':')) {
        parameters.push({
          name: part.slice(1),
          in: 'path',
          required: true,
          schema: { type: 'string' },
        })
        return `{${part.slice(1)}}`
      }
      return part
    })
  return { path: `/${parts.join('/')}`, parameters }
}
