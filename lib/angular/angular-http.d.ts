// The project compiles with `moduleResolution: node`, which ignores package
// "exports"; @angular/common publishes `./http` only through them. This
// points the specifier at the same declaration file that exports-aware
// resolution finds, for our own build only: the emitted .d.ts keeps
// importing '@angular/common/http', which users' resolvers handle.
declare module '@angular/common/http' {
  export * from '@angular/common/types/http';
}
