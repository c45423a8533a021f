-- An APIv2 request's fields as WeChat Pay's SDKs and loandesk write them:
-- each value in a CDATA section (src/wxpay/wxpay_xml.c).  payout_body_check
-- of 0022 read them with text(), which for a CDATA section is the section
-- with its markup ("<![CDATA[1500]]>"), so no APIv2 request could be
-- stored; it reads their string values now, which is the same for plain
-- text and for CDATA.

-- The request is the bill: its number, amount and openid, in the shape of
-- the product it goes to.  Nothing else is sent for this bill.
CREATE OR REPLACE FUNCTION payout_body_check(b transfer_bills, p_product text,
	p_out_batch_no text, p_body text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
	j jsonb;
	d jsonb;
	x xml;
	v_no text;
	v_amount text;
	v_openid text;
BEGIN
	IF p_product = 'v2' THEN
		BEGIN
			x := p_body::xml;
		EXCEPTION WHEN OTHERS THEN
			RAISE EXCEPTION 'bill %: the request is not XML', b.id
				USING ERRCODE = '22023';
		END;
		-- The string value, CDATA or not (text() of a CDATA
		-- section is the section, markup and all).
		v_no := nullif((xpath('string(/xml/partner_trade_no)', x))[1]::text, '');
		v_amount := nullif((xpath('string(/xml/amount)', x))[1]::text, '');
		v_openid := nullif((xpath('string(/xml/openid)', x))[1]::text, '');
	ELSE
		BEGIN
			j := p_body::jsonb;
		EXCEPTION WHEN OTHERS THEN
			RAISE EXCEPTION 'bill %: the request is not JSON', b.id
				USING ERRCODE = '22023';
		END;
		IF p_product = 'batch' THEN
			IF j->>'out_batch_no' IS DISTINCT FROM p_out_batch_no THEN
				RAISE EXCEPTION 'bill %: out_batch_no % in the request, % expected',
					b.id, j->>'out_batch_no', p_out_batch_no
					USING ERRCODE = '22023';
			END IF;
			SELECT e INTO d FROM jsonb_array_elements(CASE WHEN
				jsonb_typeof(j->'transfer_detail_list') = 'array'
				THEN j->'transfer_detail_list' ELSE '[]' END) e
			WHERE e->>'out_detail_no' = b.out_bill_no;
			v_no := d->>'out_detail_no';
			v_amount := d->>'transfer_amount';
			v_openid := d->>'openid';
		ELSE
			v_no := j->>'out_bill_no';
			v_amount := j->>'transfer_amount';
			v_openid := j->>'openid';
		END IF;
	END IF;
	IF v_no IS DISTINCT FROM b.out_bill_no THEN
		RAISE EXCEPTION 'bill %: the request names number %, not %', b.id,
			coalesce(v_no, 'none'), b.out_bill_no USING ERRCODE = '22023';
	END IF;
	IF v_amount IS DISTINCT FROM b.amount_fen::text THEN
		RAISE EXCEPTION 'bill % (%): the request sends % fen, the bill is % fen',
			b.id, b.out_bill_no, coalesce(v_amount, 'no amount'),
			b.amount_fen USING ERRCODE = '22023';
	END IF;
	IF v_openid IS DISTINCT FROM b.openid THEN
		RAISE EXCEPTION 'bill % (%): the request pays another openid',
			b.id, b.out_bill_no USING ERRCODE = '22023';
	END IF;
END
$$;

