// The frame of the pages shown before sign-in: the brand, a title, and the form.
import type { FormEvent, ReactNode } from 'react';

export function AuthCard({
  title,
  intro,
  onSubmit,
  children,
  footer,
}: {
  title: string;
  intro?: ReactNode;
  onSubmit: (event: FormEvent<HTMLFormElement>) => void;
  children: ReactNode;
  footer?: ReactNode;
}) {
  return (
    <main className="signin">
      <div className="signin__card">
        <p className="signin__title">
          <span className="brand-mark" aria-hidden="true" />
          CustomerSignal
        </p>
        <form
          className="signin__form"
          onSubmit={(event) => {
            event.preventDefault();
            onSubmit(event);
          }}
          noValidate
          aria-label={title}
        >
          <h1 className="page-title">{title}</h1>
          {intro !== undefined && <div className="muted">{intro}</div>}
          {children}
        </form>
        {footer}
      </div>
    </main>
  );
}

/** An error of the form, announced. */
export function FormError({ message }: { message: string | null }) {
  if (message === null) return null;
  return (
    <p className="form-error" role="alert">
      {message}
    </p>
  );
}
