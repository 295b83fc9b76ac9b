import { useEffect, type ReactNode } from 'react';

export function Modal(props: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  testId?: string;
  wide?: boolean;
}) {
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === 'Escape') props.onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [props]);
  return (
    <div
      className="modal-backdrop"
      onMouseDown={(event) => event.target === event.currentTarget && props.onClose()}
    >
      <div
        className={`modal${props.wide ? ' modal--wide' : ''}`}
        role="dialog"
        aria-label={props.title}
        data-testid={props.testId}
      >
        <header className="modal__header">
          <h2>{props.title}</h2>
          <button className="btn btn--ghost btn--icon" aria-label="Close" onClick={props.onClose}>
            ×
          </button>
        </header>
        <div className="modal__body">{props.children}</div>
        {props.footer && <footer className="modal__footer">{props.footer}</footer>}
      </div>
    </div>
  );
}

export function ConfirmModal(props: {
  title: string;
  text: string;
  confirm: string;
  danger?: boolean;
  onConfirm: () => void;
  onClose: () => void;
}) {
  return (
    <Modal
      title={props.title}
      onClose={props.onClose}
      testId="confirm-dialog"
      footer={
        <>
          <button className="btn btn--ghost" onClick={props.onClose}>
            Cancel
          </button>
          <button
            className={`btn ${props.danger ? 'btn--danger' : 'btn--primary'}`}
            data-testid="confirm-ok"
            onClick={props.onConfirm}
          >
            {props.confirm}
          </button>
        </>
      }
    >
      <p>{props.text}</p>
    </Modal>
  );
}
