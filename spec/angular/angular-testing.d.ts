// As lib/angular/angular-http.d.ts does for '@angular/common/http': the
// project's `moduleResolution: node` ignores package "exports", through
// which alone @angular/core publishes './testing'.
declare module '@angular/core/testing' {
  export * from '@angular/core/types/testing';
}
