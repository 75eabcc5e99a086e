// The Express 4 and Koa 2 aliases share the types of their current majors for these tests.
declare module 'express4' {
  import express from 'express'
  export default express
}
declare module 'koa2' {
  import Koa from 'koa'
  export default Koa
}
